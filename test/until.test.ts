// Ending a run of firmware that never exits (--until-output, --until, --sim-time, --max-cycles and a
// scenario's `until:`), and the diagnoses of firmware waiting on hardware m4sim does not model
// (--strict-peripherals, and a poll of an unmodeled register nothing can change).
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BoardDevices } from '../src/emulator/board-devices.js';
import { loadBoard } from '../src/emulator/board.js';
import { parseElf } from '../src/elf/elf.js';
import { POLL_READ_LIMIT } from '../src/emulator/peripherals/unmodeled.js';
import {
  cyclesForTime,
  findStopSymbol,
  OutputWatch,
  parseCycleLimit,
  parseSimTime,
} from '../src/emulator/stop-conditions.js';
import { loadScenario, ScenarioError } from '../src/scenarios/schema.js';
import { projectRoot } from '../src/util/paths.js';
import { BOARD_DIR, buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';
import type { RunJson } from '../src/report/json.js';

const F439_LD = join(BOARD_DIR, 'stm32f439.ld');
const UNTIL_SOURCE = join(projectRoot(), 'test', 'firmware', 'until-loop.c');

/**
 * The costliest block of until-loop's `for (;;) main_loop_idle();`, by hand from the cycle model
 * (src/profile/cycle-model.ts, TRM Table 3-1, P = 2, no flash wait states on stm32f439):
 * main_loop_idle is movw 1 + movt 1 + ldr 2 + adds 1 + str 2 + bx lr (1 + P) 3 = 10 cycles; the
 * loop's other blocks are `bl main_loop_idle` (1 + P = 3) and `b.n` back to it (1 + P = 3). A stop
 * at the first block boundary at or after cycle C is therefore in [C, C + 10).
 */
const LOOP_MAX_BLOCK_CYCLES = 10;

/** The fields of `simulate --json` these tests read (src/report/json.ts). */
type Json = Pick<
  RunJson,
  'exit' | 'instructions' | 'cycles' | 'seconds' | 'clockHz' | 'output' | 'peripherals'
>;

function json(args: string[]): { status: number | null; j: Json; stderr: string } {
  const r = cli(['simulate', ...args, '--json']);
  return { status: r.status, j: JSON.parse(r.stdout) as Json, stderr: r.stderr };
}

describe('stop-condition values', () => {
  it('parses simulated times exactly, in whole nanoseconds (a finer fraction rounds up)', () => {
    expect(parseSimTime('1ms')).toBe(1_000_000);
    expect(parseSimTime('2s')).toBe(2e9);
    expect(parseSimTime('10us')).toBe(10_000);
    expect(parseSimTime('10µs')).toBe(10_000);
    expect(parseSimTime('1.5ms')).toBe(1_500_000);
    expect(parseSimTime('0.001s')).toBe(1_000_000);
    expect(parseSimTime('0.5ns')).toBe(1);
    expect(parseSimTime('24000000000ns')).toBe(24e9);
    for (const bad of [
      '0',
      '0ms',
      '1',
      '-1ms',
      '1e3ms',
      'ms',
      '1 hour',
      '86400.000000001s',
      '1'.repeat(40) + 's',
    ])
      expect(parseSimTime(bad)).toBeNull();
  });

  it('parses cycle counts from 1 to 1e15', () => {
    expect(parseCycleLimit('168000')).toBe(168000);
    expect(parseCycleLimit('168_000')).toBe(168000);
    expect(parseCycleLimit('1.5M')).toBe(1_500_000);
    expect(parseCycleLimit('2e9')).toBe(2e9);
    expect(parseCycleLimit('1e15')).toBe(1e15);
    for (const bad of ['0', '-5', '1.5', '1e16', 'lots', '', '0x100'])
      expect(parseCycleLimit(bad)).toBeNull();
  });

  it('converts a time to cycles exactly at a whole-Hz clock', () => {
    expect(cyclesForTime(1_000_000, 168e6)).toBe(168_000);
    expect(cyclesForTime(86_400e9, 168e6)).toBe(14_515_200_000_000);
    expect(cyclesForTime(1, 168e6)).toBe(1); // 0.168 cycles: the first boundary at or after it
  });

  it('keeps the time limit right when the clock changes: the rest of the time at the new clock', () => {
    let changed = 0;
    let now = 0;
    const devices = new BoardDevices(loadBoard('m4-256k'), {
      now: () => now,
      setIrqLine: () => {},
      output: () => {},
      followClock: true,
      clockHz: 16e6,
      reschedule: () => {},
      clockChanged: () => changed++,
    });
    expect(devices.cyclesAtTime(1_000_000)).toBe(16_000); // 1 ms at 16 MHz
    // A clock controller switches to 168 MHz after 0.5 ms (8,000 cycles at 16 MHz): the other
    // 0.5 ms is 84,000 cycles at 168 MHz.
    now = 8_000;
    (devices as unknown as { setClocks(c: { hclk: number }): void }).setClocks({ hclk: 168e6 });
    expect(changed).toBe(1);
    expect(devices.cyclesAtTime(1_000_000)).toBe(8_000 + 84_000);
    expect(devices.seconds(92_000)).toBeCloseTo(1e-3, 12);
  });

  it('watches output across writes with bounded memory', () => {
    const w = new OutputWatch('inference done');
    expect(w.feed(Buffer.from('infer'))).toBe(false);
    expect(w.feed(Buffer.from('ence d'))).toBe(false);
    expect(w.feed(Buffer.from('one\n'))).toBe(true);
    expect(w.feed(Buffer.from('inference done'))).toBe(false); // once
    const big = new OutputWatch('END');
    expect(big.feed(Buffer.alloc(1 << 20, 0x41))).toBe(false);
    expect(big.feed(Buffer.from('E'))).toBe(false);
    expect(big.feed(Buffer.from('N'))).toBe(false);
    expect(big.feed(Buffer.from('D!'))).toBe(true);
    expect(new OutputWatch('x').feed(Buffer.from('abcx'))).toBe(true);
  });

  it('finds functions and labels, not data, and refuses ambiguous locals', () => {
    const sym = (
      name: string,
      value: number,
      type: 'func' | 'notype' | 'object',
      bind: 'local' | 'global',
    ) => ({
      name,
      value,
      size: 4,
      type,
      bind,
      shndx: 1,
    });
    const elf = {
      symbols: [
        sym('f', 0x08000101, 'func', 'global'),
        sym('lbl', 0x08000200, 'notype', 'local'),
        sym('buf', 0x20000000, 'object', 'global'),
        sym('twice', 0x08000300, 'func', 'local'),
        sym('twice', 0x08000400, 'func', 'local'),
      ],
    };
    expect(findStopSymbol(elf, 'f')).toBe(0x08000100);
    expect(findStopSymbol(elf, 'lbl')).toBe(0x08000200);
    expect(findStopSymbol(elf, 'buf')).toBeNull();
    expect(() => findStopSymbol(elf, 'twice')).toThrow(/2 local symbols of that name at different addresses/);
  });
});

describe('bad stop conditions are one usage line (64)', () => {
  const refuse = (args: string[], line: string | RegExp) => {
    const r = cli(['simulate', 'no-such.elf', ...args]);
    expect(r.status).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').length).toBe(2); // one line and its newline
    if (typeof line === 'string') expect(r.stderr).toBe(`m4sim: ${line}\n`);
    else expect(r.stderr).toMatch(line);
  };

  it.each(['0', '0ms', '-1ms', '1x', '1e99s', '', '25h', '86401s', '1.5', '2 hours'])(
    '--sim-time %j',
    (v) => {
      refuse(
        ['--sim-time', v],
        `--sim-time: expected a simulated time like 2s, 500ms or 10us, more than 0 and at most 24 hours, got ${JSON.stringify(v)}`,
      );
    },
  );

  it.each(['0', '-5', 'lots', '1e16', '9007199254740993', '1.5', ''])('--max-cycles %j', (v) => {
    refuse(
      ['--max-cycles', v],
      `--max-cycles: expected a whole number of cycles from 1 to 1e15 (168000, 1.5M, 2e9), got ${JSON.stringify(v)}`,
    );
  });

  it('--max-cycles and --sim-time: a huge value is described, not echoed', () => {
    refuse(['--max-cycles', '9'.repeat(5000)], /got a text of 5000 characters\n$/);
    refuse(['--sim-time', `${'9'.repeat(5000)}s`], /got a text of 5001 characters\n$/);
  });

  it('--until-output: empty, or over 4 KiB of UTF-8', () => {
    refuse(['--until-output', ''], '--until-output: expected a non-empty text');
    refuse(
      ['--until-output', 'x'.repeat(4097)],
      '--until-output: expected at most 4096 bytes of text, got 4097',
    );
    refuse(
      ['--until-output', 'é'.repeat(2049)],
      '--until-output: expected at most 4096 bytes of text, got 4098',
    );
  });

  it.each(['main loop', 'a;rm -rf /', '../etc/passwd', '9lives', 'ünïcode', '$(id)x y'])(
    '--until %j',
    (v) => {
      refuse(
        ['--until', v],
        `--until: expected a function or label name (letters, digits, "_", "." and "$"), got ${/^[\x20-\x7e]*$/.test(v) ? JSON.stringify(v) : `a text of ${v.length} characters`}`,
      );
    },
  );

  it('--until: empty or longer than 256 characters', () => {
    refuse(['--until', ''], '--until: expected a function or label name');
    refuse(['--until', 'f'.repeat(257)], '--until: expected a name of at most 256 characters');
  });

  it('the detector takes none of them', () => {
    const r = cli(['simulate', '--until-output', 'x']);
    expect(r.status).toBe(64);
    expect(r.stderr).toBe(
      'm4sim: --until-output, --until, --sim-time, --max-cycles and --strict-peripherals apply to a firmware ELF, not the detector\n',
    );
  });

  it('simulate --help documents them and the exit statuses', () => {
    const r = cli(['simulate', '--help']);
    expect(r.status).toBe(0);
    for (const o of [
      '--until-output <text>',
      '--until <symbol>',
      '--sim-time <duration>',
      '--max-cycles <n>',
      '--strict-peripherals',
    ])
      expect(r.stdout).toContain(o);
    expect(r.stdout).toMatch(/123 polling an unmodeled register/);
  });
});

describe.skipIf(!haveToolchain)('ending a firmware that never exits', () => {
  let loop: string;
  let exitAtIdle: string;
  let loop439: string;
  beforeAll(() => {
    loop = buildTestFirmware('until-loop');
    exitAtIdle = buildTestFirmware('until-loop', { defines: { UNTIL_EXIT_AT_IDLE: true } });
    loop439 = buildTestFirmware('until-loop', { linkerScript: F439_LD });
  });

  it('--until-output stops right after the write that completed the text, with status 0', () => {
    const r = cli(['simulate', loop, '--until-output', 'inference done']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('inference done\n');
    expect(r.stderr).toMatch(
      /\n {2}ended +until-output: the output contains "inference done" after [\d,]+ instructions and [\d,]+ cycles \([\d.]+ µs at 168 MHz\) at _write\+0x[0-9a-f]+ \(pc 0x[0-9a-f]{8}\)\n/,
    );
    const stop = json([loop, '--until-output', 'inference done']);
    expect(stop.status).toBe(0);
    expect(stop.j.exit.reason).toBe('until-output');
    expect(stop.j.exit.code).toBe(0);
    expect(stop.j.output).toBe('inference done\n');
    // A longer run of the same firmware (to the instruction limit) is further on.
    const longer = json([loop, '--max-instructions', '100000']);
    expect(longer.status).toBe(125);
    expect(longer.j.output).toBe('inference done\n');
    expect(stop.j.cycles).toBeLessThan(longer.j.cycles);
    expect(stop.j.instructions).toBeLessThan(longer.j.instructions);
  });

  it('--until-output for text the firmware never prints leaves the run to its limits', () => {
    const r = json([loop, '--until-output', 'never printed', '--max-instructions', '20000']);
    expect(r.status).toBe(125);
    expect(r.j.exit.reason).toBe('instruction-limit');
  });

  it('--until FUNCTION stops before it runs: the count at its entry, measured by the exit variant', () => {
    const elf = parseElf(readFileSync(loop), loop);
    const entry = findStopSymbol(elf, 'main_loop_idle')!;
    const stop = json([loop, '--until', 'main_loop_idle']);
    expect(stop.status).toBe(0);
    expect(stop.j.exit.reason).toBe('until-symbol');
    expect(stop.j.exit.code).toBe(0);
    expect(stop.j.exit.pc).toBe(entry);
    expect(stop.j.exit.location).toBe('main_loop_idle');
    expect(stop.j.exit.message).toMatch(
      /^reached main_loop_idle after [\d,]+ instructions and [\d,]+ cycles/,
    );
    expect(stop.j.output).toBe('inference done\n');
    // The same firmware whose main_loop_idle exits: movs, movw, movt, bkpt (1 cycle each, Table 3-1)
    // run after the entry, and nothing before it differs (same code, same addresses, and the same
    // argv[0]: newlib's start-up copies the command line, so its length changes the count).
    const cmdline = 'until-loop.elf';
    const exited = simulate(exitAtIdle, { cmdline }).result;
    expect(exited.exit.reason).toBe('exit');
    expect(exited.exit.code).toBe(0);
    expect(stop.j.instructions).toBe(exited.instructions - 4);
    expect(stop.j.cycles).toBe(exited.cycles - 4);
    // Through the library, the same count.
    const lib = simulate(loop, { until: { symbol: 'main_loop_idle' }, cmdline }).result;
    expect(lib.exit.reason).toBe('until-symbol');
    expect(lib.instructions).toBe(stop.j.instructions);
    expect(lib.cycles).toBe(stop.j.cycles);
  });

  it('--until LABEL inside a block counts only the instructions before it', () => {
    const atEntry = simulate(loop, { until: { symbol: 'main_loop_idle' } }).result;
    const atLabel = simulate(loop, { until: { symbol: 'main_loop_idle_load' } }).result;
    expect(atLabel.exit.reason).toBe('until-symbol');
    expect(atLabel.exit.location).toBe('main_loop_idle+0x8');
    // movw and movt ran (1 cycle each); the rest of the block was taken back.
    expect(atLabel.instructions).toBe(atEntry.instructions + 2);
    expect(atLabel.cycles).toBe(atEntry.cycles + 2);
  });

  it('--until a symbol the ELF does not have is a usage error naming it', () => {
    const r = cli(['simulate', loop, '--until', 'main_loop_idel']);
    expect(r.status).toBe(64);
    expect(r.stderr).toBe(`m4sim: --until main_loop_idel: no function or label of that name in ${loop}\n`);
    // Data symbols are not places the PC reaches.
    expect(cli(['simulate', loop, '--until', 'spins']).status).toBe(64);
  });

  it('--sim-time 1ms on stm32f439 stops at the first block boundary at or after 16,000 cycles (HSI 16 MHz at reset)', () => {
    const r = json([loop439, '--board', 'stm32f439', '--sim-time', '1ms']);
    expect(r.status).toBe(0);
    expect(r.j.exit.reason).toBe('sim-time');
    expect(r.j.exit.code).toBe(0);
    expect(r.j.cycles).toBeGreaterThanOrEqual(16_000);
    expect(r.j.cycles).toBeLessThan(16_000 + LOOP_MAX_BLOCK_CYCLES);
    expect(r.j.seconds).toBeGreaterThanOrEqual(1e-3);
    expect(r.j.exit.message).toMatch(
      /^simulated time 1 ms reached \(the first block boundary at or after cycle 16,000\) after [\d,]+ instructions and 16,0\d\d cycles \(1\.000 ms at 16 MHz\)/,
    );
    expect(r.j.output).toBe('inference done\n');
    // --max-cycles 16000 is the same boundary.
    const c = json([loop439, '--board', 'stm32f439', '--max-cycles', '16000']);
    expect(c.status).toBe(0);
    expect(c.j.exit.reason).toBe('max-cycles');
    expect(c.j.cycles).toBe(r.j.cycles);
    expect(c.j.instructions).toBe(r.j.instructions);
    expect(c.stderr).toBe('inference done\n');
  });

  it('--sim-time follows the clock: 1 ms at --clock 84MHz is 84,000 cycles', () => {
    const r = json([loop439, '--board', 'stm32f439', '--clock', '84MHz', '--sim-time', '1ms']);
    expect(r.j.exit.reason).toBe('sim-time');
    expect(r.j.cycles).toBeGreaterThanOrEqual(84_000);
    expect(r.j.cycles).toBeLessThan(84_000 + LOOP_MAX_BLOCK_CYCLES);
  });

  it('with several conditions the first reached ends the run', () => {
    const a = json([loop439, '--board', 'stm32f439', '--sim-time', '1ms', '--max-cycles', '10000']);
    expect(a.j.exit.reason).toBe('max-cycles');
    expect(a.j.cycles).toBeLessThan(10_000 + LOOP_MAX_BLOCK_CYCLES);
    const b = json([loop439, '--board', 'stm32f439', '--sim-time', '1ms', '--max-cycles', '20000']);
    expect(b.j.exit.reason).toBe('sim-time');
    const c = json([loop439, '--board', 'stm32f439', '--sim-time', '1ms', '--until', 'main_loop_idle']);
    expect(c.j.exit.reason).toBe('until-symbol');
    // A budget still says otherwise: the instruction limit comes first.
    const d = json([loop439, '--board', 'stm32f439', '--sim-time', '1s', '--max-instructions', '50000']);
    expect(d.status).toBe(125);
    expect(d.j.exit.reason).toBe('instruction-limit');
  });
});

describe.skipIf(!haveToolchain)('firmware waiting on hardware m4sim does not model', () => {
  let poll: string;
  beforeAll(() => {
    poll = buildTestFirmware('poll-unmodeled', { linkerScript: F439_LD });
  });

  it('--strict-peripherals ends the run at the first access no model serves (139), in one line', () => {
    const r = cli(['simulate', poll, '--board', 'stm32f439', '--strict-peripherals']);
    expect(r.status).toBe(139);
    expect(r.stdout).toBe('waiting for the RNG\n');
    expect(r.stderr).toMatch(
      /\n {2}ended +unmodeled-peripheral: read from unmodeled peripheral register 0x50060800, 4 bytes \(APB\/AHB peripherals: no model serves it; --strict-peripherals\) at rng_read\+0x[0-9a-f]+ \(pc 0x0800[0-9a-f]{4}\)\n/,
    );
    const j = json([poll, '--board', 'stm32f439', '--strict-peripherals']).j;
    expect(j.exit.reason).toBe('unmodeled-peripheral');
    expect(j.exit.location).toMatch(/^rng_read\+0x/);
  });

  it('a poll of an unmodeled register nothing changes stops after POLL_READ_LIMIT reads (123)', () => {
    expect(POLL_READ_LIMIT).toBe(1_000_000);
    const r = cli(['simulate', poll, '--board', 'stm32f439']);
    expect(r.status).toBe(123);
    expect(r.stdout).toBe('waiting for the RNG\n');
    expect(r.stderr).toMatch(
      /\n {2}ended +polling: polling 0x50060804 \(unmodeled, reads 0x00000000\) in rng_read: no model changes it \(1,000,000 reads in a row, with no write, other peripheral access, semihosting call or exception in between\) at rng_read\+0x[0-9a-f]+ \(pc 0x0800[0-9a-f]{4}\)\n/,
    );
    const j = json([poll, '--board', 'stm32f439']).j;
    expect(j.exit.reason).toBe('polling');
    expect(j.exit.code).toBe(123);
    // It stopped at the bound, not at the 20 G-instruction limit.
    expect(j.peripherals.find((p) => p.address === 0x50060804)?.reads).toBe(POLL_READ_LIMIT);
    // The board file names the block (registerBlocks): RNG_SR is RNG+0x4.
    expect(j.peripherals.find((p) => p.address === 0x50060804)).toMatchObject({ block: 'RNG', offset: 4 });
    expect(j.instructions).toBeLessThan(10 * POLL_READ_LIMIT);
  });

  it('the bound is an option of the library (0: off)', () => {
    const few = simulate(poll, { boardName: 'stm32f439', pollReads: 1000 }).result;
    expect(few.exit.reason).toBe('polling');
    expect(few.peripherals.find((p) => p.address === 0x50060804)?.reads).toBe(1000);
    const off = simulate(poll, { boardName: 'stm32f439', pollReads: 0, maxInstructions: 2e6 }).result;
    expect(off.exit.reason).toBe('instruction-limit');
  });

  it.each(['POLL_WITH_PPB', 'POLL_WITH_WRITE', 'POLL_WITH_IRQ'])(
    '%s: more polls than the bound, but something that may change the register in between: no diagnosis',
    (variant) => {
      const elf = buildTestFirmware('poll-unmodeled', {
        linkerScript: F439_LD,
        defines: { [variant]: true },
      });
      const { result, output } = simulate(elf, { boardName: 'stm32f439' });
      expect(result.exit.reason).toBe('exit');
      expect(result.exit.code).toBe(0);
      expect(output).toBe('waiting for the RNG\nRNG_SR 00000000\n');
      expect(result.peripherals.find((p) => p.address === 0x50060804)!.reads).toBeGreaterThan(
        POLL_READ_LIMIT,
      );
    },
  );
});

describe.skipIf(!haveToolchain)('a scenario with until:', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'm4sim-until-'));
    // A scenario's sources live in its folder (src/scenarios/source-firmware.ts).
    copyFileSync(UNTIL_SOURCE, join(tmp, 'until-loop.c'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    const file = join(tmp, name);
    writeFileSync(file, text);
    return file;
  };
  const schemaError = (until: string) => {
    const file = write('bad.yaml', `firmware:\n  source: until-loop.c\nuntil: ${until}\n`);
    try {
      loadScenario(file);
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      return (e as Error).message.replace(/^.*bad\.yaml: /, '');
    }
    throw new Error('expected a schema error');
  };

  it('refuses unknown keys and bad values like the other fields', () => {
    expect(schemaError('{ output: done, after: 3 }')).toBe('until: unknown field "after"');
    expect(schemaError('{}')).toBe('until: expected at least one of output, symbol, time, cycles');
    expect(schemaError('{ time: 2 hours }')).toBe(
      'until.time: expected a simulated time like 2s, 500ms or 10us (more than 0, at most 24 hours), got "2 hours"',
    );
    expect(schemaError('{ time: 2 }')).toMatch(/^until\.time: expected a simulated time/);
    expect(schemaError('{ cycles: -1 }')).toBe(
      'until.cycles: expected a cycle count from 1 to 1e15 like 168000, 1.5M or 2e9, got -1',
    );
    expect(schemaError('{ output: "" }')).toBe('until.output: expected a non-empty text');
    expect(schemaError('{ symbol: "a b" }')).toBe(
      'until.symbol: expected a function or label name (letters, digits, "_", "." and "$"), got "a b"',
    );
    expect(schemaError('done')).toMatch(/^until: expected object/);
    const detector = write('det.yaml', 'firmware:\n  detector: {}\nuntil: { cycles: 1000 }\n');
    expect(() => loadScenario(detector)).toThrow(/until: only ELF or source firmware takes stop conditions/);
  });

  it('`check` judges the budgets where the run stopped, and the stop passes as status 0', () => {
    const file = write(
      'loop.yaml',
      [
        `firmware:`,
        `  source: until-loop.c`,
        `board: stm32f439`,
        `output: inference done`,
        `until: { time: 1ms, output: never printed }`,
        `budgets:`,
        `  cycles: ${16_000 + LOOP_MAX_BLOCK_CYCLES}`,
        `  stack: 1K`,
        '',
      ].join('\n'),
    );
    const r = cli(['check', file, '--json', '-']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      scenarios: {
        result: { measured: { cycles: number; exit: { reason: string } } };
        rows: { budget: string; value: unknown; status: string }[];
      }[];
    };
    expect(out.ok).toBe(true);
    const s = out.scenarios[0]!;
    expect(s.result.measured.exit.reason).toBe('sim-time');
    expect(s.result.measured.cycles).toBeGreaterThanOrEqual(16_000);
    expect(s.rows.find((row) => row.budget === 'exit')).toMatchObject({
      value: 'sim-time (0)',
      status: 'ok',
    });
    expect(s.rows.find((row) => row.budget === 'output')?.status).toBe('ok');
    // A tighter cycle budget breaks at that point.
    const tight = write(
      'tight.yaml',
      [
        `firmware:`,
        `  source: until-loop.c`,
        `until: { cycles: 50000 }`,
        `budgets:`,
        `  cycles: 40000`,
        '',
      ].join('\n'),
    );
    const t = cli(['check', tight]);
    expect(t.status).toBe(1);
    expect(t.stdout + t.stderr).toMatch(/tight +cycles +5\d,\d{3} +40,000 .* FAIL/);
  });
});

describe.skipIf(!haveToolchain)('stop conditions with the board models', () => {
  it('--until-output matches what a UART transmits', () => {
    const elf = buildTestFirmware('stm32-usart-poll', { linkerScript: F439_LD });
    const r = simulate(elf, { boardName: 'stm32f439', until: { output: 'from USART1' } });
    expect(r.result.exit).toMatchObject({ reason: 'until-output', code: 0 });
    expect(r.output).toBe('hello from USART1');
  });

  it('--sim-time follows the RCC switch from HSI 16 MHz to the PLL at 168 MHz', () => {
    // stm32-clock.c switches to 168 MHz about 0.69 ms after reset and exits 0.08 ms later; 0.7 ms of
    // simulated time spans the switch. Converted once at 16 MHz (11,200 cycles) it would stop at
    // about 0.6918 ms; followed through the switch it stops at the first boundary at or after 0.7 ms.
    const elf = buildTestFirmware('stm32-clock', { linkerScript: F439_LD });
    const r = simulate(elf, { boardName: 'stm32f439', until: { simTimeNs: 700_000 } }).result;
    expect(r.exit).toMatchObject({ reason: 'sim-time', code: 0 });
    expect(r.clockHz).toBe(168e6);
    expect(r.seconds).toBeGreaterThanOrEqual(0.0007);
    expect(r.seconds).toBeLessThan(0.0007 + 40 / 168e6);
  });
});

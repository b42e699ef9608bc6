// Issue 8, items 2 and 4: host memory stays bounded whatever the firmware or the inputs do, and a
// reader that goes away stops the run quietly. The floods run in a child Node with a capped heap
// (--max-old-space-size=96) and report their peak RSS; without the bounds the ITM flood aborts the
// child (heap out of memory, status 134), the output flood queues its 200 MB in memory, and the
// peripheral flood keeps a million registers.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBoard } from '../src/emulator/board.js';
import { loadElf, PERIPHERAL_REGISTER_LIMIT, runFirmware } from '../src/emulator/machine.js';
import { ITM_EVENT_LIMIT } from '../src/emulator/ppb.js';
import { INPUT_LIMITS } from '../src/util/input-file.js';
import { projectRoot } from '../src/util/paths.js';
import { BOARD_DIR, buildTestFirmware, haveToolchain } from './helpers/firmware.js';

const BIN = join(projectRoot(), 'bin', 'm4sim.js');
const MAIN = pathToFileURL(join(projectRoot(), 'dist', 'cli', 'main.js')).href;
/** Peak RSS the floods must stay under. The runs measure 95–120 MB here; the unbounded queue alone was 200 MB. */
const RSS_BOUND_KB = 250 * 1024;
const HEAP_CAP = '--max-old-space-size=96';

let dir: string;
let wrapper: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'm4sim-limits-'));
  // Runs the CLI in this process and writes its peak RSS (KiB) on fd 3 when it exits.
  wrapper = join(dir, 'rss.mjs');
  writeFileSync(
    wrapper,
    [
      "import { writeSync } from 'node:fs';",
      `const { main } = await import(${JSON.stringify(MAIN)});`,
      "process.on('exit', () => writeSync(3, `${process.resourceUsage().maxRSS}\\n`));",
      "process.exitCode = await main(['node', 'm4sim', ...process.argv.slice(2)]);",
      '',
    ].join('\n'),
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Capped {
  status: number | null;
  signal: string | null;
  stdoutBytes: number;
  /** stdout text when asked to keep it. */
  stdout: string;
  stderr: string;
  maxRssKb: number;
}

/** Runs m4sim in a child with a capped heap, reading its stdout as it comes (a real pipe reader). */
function runCapped(args: string[], keepStdout = false): Promise<Capped> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [HEAP_CAP, wrapper, ...args], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let stdoutBytes = 0;
    const kept: Buffer[] = [];
    let stderr = '';
    let rss = '';
    child.stdout!.on('data', (b: Buffer) => {
      stdoutBytes += b.length;
      if (keepStdout) kept.push(b);
    });
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdio[3]!.on('data', (b: Buffer) => (rss += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolvePromise({
        status,
        signal,
        stdoutBytes,
        stdout: Buffer.concat(kept).toString('utf8'),
        stderr,
        maxRssKb: Number(rss.trim() || 'NaN'),
      });
    });
  });
}

function expectOneLine(stderr: string, pattern: RegExp): void {
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).toMatch(pattern);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe.skipIf(!haveToolchain)('bounded host memory (issue 8 item 2)', () => {
  it('an ITM flood (2,000,001 events) keeps the first 100,000 and counts the rest per port', async () => {
    const r = await runCapped(['simulate', buildTestFirmware('itm-flood'), '--json'], true);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.itm.limit).toBe(100_000);
    expect(j.itm.events).toHaveLength(100_000);
    expect(j.itm.events[0]).toMatchObject({ port: 1, value: 0, size: 4 });
    expect(j.itm.events[99_999]).toMatchObject({ port: 1, value: 99_999, size: 4 });
    expect(j.itm.dropped).toBe(1_900_001);
    expect(j.itm.droppedByPort).toEqual([
      { port: 1, events: 1_900_000 },
      { port: 5, events: 1 },
    ]);
    expect(r.maxRssKb).toBeLessThan(RSS_BOUND_KB);
  });

  it('the text summary says in one line what was dropped', async () => {
    const r = await runCapped(['simulate', buildTestFirmware('itm-flood')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(
      '\n  ITM events    100,000 kept, 1,900,001 later ones dropped (ports 1: 1,900,000, 5: 1)\n',
    );
  });

  it('onItmEvent still sees every event past the limit', () => {
    const elf = buildTestFirmware('itm-flood', { defines: { FLOOD_EVENTS: '150000u' } });
    let seen = 0;
    let last = -1;
    const r = runFirmware(loadElf(readFileSync(elf), elf), {
      board: loadBoard('m4-256k'),
      stdout: () => {},
      stderr: () => {},
      onItmEvent: (e) => {
        seen++;
        if (e.port === 1) last = e.value;
      },
    });
    expect(r.exit.code).toBe(0);
    expect(ITM_EVENT_LIMIT).toBe(100_000);
    expect(seen).toBe(150_001);
    expect(last).toBe(149_999);
    expect(r.itm).toHaveLength(100_000);
    expect(r.itm[99_999]!.value).toBe(99_999);
    expect(r.itmDropped).toEqual([
      { port: 1, events: 50_000 },
      { port: 5, events: 1 },
    ]);
  });

  it('200 MB of firmware output to a pipe streams through with bounded RSS', async () => {
    const r = await runCapped(['simulate', buildTestFirmware('output-flood')]);
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(r.stdoutBytes).toBe(200 * 1024 * 1024);
    expect(r.stderr).toMatch(/^m4sim: .*output-flood\.elf on m4-256k\n {2}ended {9}exit 0 /);
    expect(r.maxRssKb).toBeLessThan(RSS_BOUND_KB);
  });

  it('--json keeps the first 1 MiB of output and counts the rest', async () => {
    const elf = buildTestFirmware('output-flood', { defines: { FLOOD_BYTES: '(4u * 1024u * 1024u)' } });
    const r = await runCapped(['simulate', elf, '--json'], true);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.output).toHaveLength(1 << 20);
    expect(j.output.slice(0, 64)).toBe('x'.repeat(63) + '\n');
    expect(j.outputDropped).toBe(3 * 1024 * 1024);
    expect(r.stderr.length).toBe(4 * 1024 * 1024); // with --json the output goes to stderr, all of it
  });

  it('a million distinct peripheral registers: 65,536 tracked, the rest counted, reads of them 0', async () => {
    const elf = buildTestFirmware('peripheral-flood', { linkerScript: join(BOARD_DIR, 'stm32f439.ld') });
    // stm32f439 with its peripheral range only: the flood measures the unmodeled store, and the
    // board's modeled peripherals (RCC, PWR, … at 0x40007000 on) would take some of its registers.
    const b = JSON.parse(readFileSync(join(projectRoot(), 'boards', 'stm32f439.json'), 'utf8'));
    const board = join(dir, 'stm32f439-ranges.json');
    writeFileSync(
      board,
      JSON.stringify({ ...b, peripherals: b.peripherals.filter((p: { model?: string }) => !p.model) }),
    );
    const r = await runCapped(['simulate', elf, '--board', board, '--json'], true);
    expect(r.signal).toBeNull();
    // 0: register 0 read back what was written, and the untracked last register read 0 (3 otherwise).
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(PERIPHERAL_REGISTER_LIMIT).toBe(65_536);
    expect(j.peripherals).toHaveLength(65_536);
    // No named register block there: block and offset are null.
    const entry = { block: null, offset: null };
    expect(j.peripherals[0]).toEqual({ address: 0x48000000, ...entry, reads: 1, writes: 1 });
    expect(j.peripherals[65_535]).toEqual({
      address: 0x48000000 + 4 * 65_535,
      ...entry,
      reads: 0,
      writes: 1,
    });
    // 1,000,000 − 65,536 writes and the read of the last register.
    expect(j.peripheralsUntracked).toBe(934_465);
    expect(r.maxRssKb).toBeLessThan(RSS_BOUND_KB);
    const text = await runCapped(['simulate', elf, '--board', board]);
    expect(text.stderr).toContain(
      '\n                934,465 more accesses to registers past the first 65,536 were not tracked (reads returned 0)\n',
    );
  });
});

describe('special and endless inputs are refused at once (issue 8 item 2)', () => {
  const timed = (args: string[], stdin?: number) => {
    const started = Date.now();
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd: projectRoot(),
      encoding: 'utf8',
      stdio: [stdin ?? 'ignore', 'pipe', 'pipe'],
      timeout: 20_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - started };
  };
  // Node starts in about 0.2 s; on a loaded 2-core machine allow 2 s. Before the fix these never end.
  const PROMPT_MS = 2000;

  it('simulate /dev/zero, --image /dev/zero and --frame /dev/zero', () => {
    for (const [args, what] of [
      [['simulate', '/dev/zero'], 'firmware'],
      [['simulate', '--image', '/dev/zero'], 'image'],
      [['simulate', '--frame', '/dev/zero'], 'frame'],
    ] as const) {
      const r = timed([...args]);
      expect(r.status).toBe(66);
      expect(r.stdout).toBe('');
      expectOneLine(
        r.stderr,
        new RegExp(`^m4sim: ${what} /dev/zero: a character device, not a regular file\\n$`),
      );
      expect(r.ms).toBeLessThan(PROMPT_MS);
    }
  });

  it('a FIFO as the firmware, as --image and as --frame', () => {
    const fifo = join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const [args, what] of [
      [['simulate', fifo], 'firmware'],
      [['simulate', '--image', fifo], 'image'],
      [['simulate', '--frame', fifo], 'frame'],
    ] as const) {
      const r = timed([...args]);
      expect(r.status).toBe(66);
      expectOneLine(r.stderr, new RegExp(`^m4sim: ${what} ${fifo}: a FIFO, not a regular file\\n$`));
      expect(r.ms).toBeLessThan(PROMPT_MS);
    }
  });

  it.skipIf(!haveToolchain)('--stdin </dev/zero stops at the 64 MiB limit with one line (65)', () => {
    const zero = openSync('/dev/zero', 'r');
    try {
      const r = timed(['simulate', buildTestFirmware('echo-stdin'), '--stdin'], zero);
      expect(r.status).toBe(65);
      expect(r.stdout).toBe('');
      expectOneLine(
        r.stderr,
        new RegExp(`^m4sim: standard input: more than the ${INPUT_LIMITS.binary}-byte limit for --stdin\\n$`),
      );
      expect(r.ms).toBeLessThan(10_000);
    } finally {
      closeSync(zero);
    }
  });
});

describe.skipIf(!haveToolchain)('a reader that goes away (issue 8 item 4)', () => {
  it('| head -c 100: exit 141 at once, nothing on stderr', async () => {
    // About 4 GB of output: minutes of run time if the closed pipe did not stop it.
    const elf = buildTestFirmware('output-flood', { defines: { FLOOD_BYTES: '0xfff00000u' } });
    const child = spawn(process.execPath, [BIN, 'simulate', elf], {
      cwd: projectRoot(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    let got = 0;
    let closedAt = 0;
    const done = new Promise<{ status: number | null; signal: string | null }>((res) =>
      child.on('close', (status, signal) => res({ status, signal })),
    );
    child.stdout!.on('data', (b: Buffer) => {
      got += b.length;
      if (got >= 100 && closedAt === 0) {
        closedAt = Date.now();
        child.stdout!.destroy(); // as head -c 100 does: read 100 bytes, close the pipe
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const { status, signal } = await done;
    clearTimeout(timer);
    expect(signal).toBeNull();
    expect(status).toBe(141);
    expect(stderr).toBe('');
    expect(Date.now() - closedAt).toBeLessThan(2000);
  });

  it('a closed pipe during the final JSON document: 141, nothing on stderr', () => {
    // The ITM flood's JSON is about 20 MB, far more than a pipe holds: head's exit makes it meet EPIPE.
    const elf = buildTestFirmware('itm-flood');
    const r = spawnSync(
      '/bin/bash',
      [
        '-c',
        `"${process.execPath}" "${BIN}" simulate "${elf}" --json | head -c 10 >/dev/null; echo \${PIPESTATUS[0]}`,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout).toBe('141\n');
    expect(r.stderr).toBe('');
  });
});

// Firmware written against RM0090 running on the stm32f439 board's modeled USART1 and GPIOA: polling
// and interrupt-driven transmission, reception from the host, pin events with hand-counted cycle
// deltas, and `simulate --uart FILE` through the command line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BOARD_DIR, buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

/** The STM32F439 memory map (flash 2 MiB at 0x08000000, SRAM 192 KiB at 0x20000000). */
const STM32F439_LD = join(BOARD_DIR, 'stm32f439.ld');
const build = (name: string) => buildTestFirmware(name, { linkerScript: STM32F439_LD });
const P = 2;

/** Host input given once, as the CLI's --stdin does. */
function stdinOf(text: string) {
  let given = false;
  return () => {
    if (given) return null;
    given = true;
    return Buffer.from(text);
  };
}

describe.skipIf(!haveToolchain)('STM32F4 USART1 (stm32f439 board)', () => {
  it('transmits by polling TXE: the bytes on stdout exactly, nothing unmodeled touched in USART1', () => {
    const { result, output } = simulate(build('stm32-usart-poll'), { boardName: 'stm32f439' });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(output).toBe('hello from USART1\r\n');
    // USART1 and GPIOA are modeled: none of their registers is in the unmodeled list.
    const inBlock = (a: number, base: number) => a >= base && a < base + 0x400;
    expect(
      result.peripherals.filter((p) => inBlock(p.address, 0x40011000) || inBlock(p.address, 0x40020000)),
    ).toEqual([]);
    expect(result.deviceEvents).toEqual([]); // PA9/PA10 are in alternate-function mode: no pin events
  });

  it('transmits frame-timed: 19 frames of 10 bits × BRR 0x2D9 bus clocks take at least 19 × 7290 cycles', () => {
    // No clock controller: pclk2 = hclk = the board's 168 MHz, one core cycle per bus clock. The last
    // frame ends before TC reads 1, so the run is longer than the 19 frames plus the idle frame.
    const { result } = simulate(build('stm32-usart-poll'), { boardName: 'stm32f439' });
    expect(result.cycles).toBeGreaterThan(20 * 10 * 0x2d9);
    expect(result.cycles).toBeLessThan(20 * 10 * 0x2d9 + 200_000);
  });

  it('transmits by TXE interrupt (IRQ 37, ring buffer, WFI): exact output, one interrupt per byte and more', () => {
    const message = 'hello from USART1, sent by the TXE interrupt\r\n';
    const { result, output } = simulate(build('stm32-usart-irq'), { boardName: 'stm32f439' });
    expect(output).toBe(message);
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 }); // 2: fewer TXE interrupts than bytes
    const usart1 = result.exceptions.taken.find((e) => e.number === 16 + 37);
    // One per byte and one for TC, plus one or two that find the ring empty (at the end, and at the
    // start when the first byte went straight to the shift register before main queued the second).
    expect(usart1?.count).toBeGreaterThanOrEqual(message.length + 2);
    expect(usart1?.count).toBeLessThanOrEqual(message.length + 3);
    expect(result.exceptions.sleepCycles).toBeGreaterThan(0); // main slept while the ring was full
  });

  it('receives from the host (stdin): echo up to the newline, then IDLE', () => {
    const { result, output } = simulate(build('stm32-usart-echo'), {
      boardName: 'stm32f439',
      stdin: stdinOf('ping\nignored'),
    });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    // Bytes after the newline stay unread; IDLE is only set once the host has no more.
    expect(output).toBe('ping\n');
  });

  it('IDLE is set after the last byte the host had', () => {
    const { result, output } = simulate(build('stm32-usart-echo'), {
      boardName: 'stm32f439',
      stdin: stdinOf('ping\n'),
    });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0 });
    expect(output).toBe('ping\n[idle]\r\n');
  });

  it('without host input nothing arrives', () => {
    const { result, output } = simulate(build('stm32-usart-echo'), { boardName: 'stm32f439' });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 1 });
    expect(output).toBe('no input\r\n');
  });
});

describe.skipIf(!haveToolchain)('STM32F4 GPIOA pin events (stm32f439 board)', () => {
  it('PA5 toggled twice through BSRR and twice through ODR: index/value exact, cycle deltas hand-counted', () => {
    const { result } = simulate(build('stm32-gpio'), { boardName: 'stm32f439' });
    expect(result.exit).toMatchObject({ reason: 'exit', code: 0b101 }); // IDR[15:13]: the PA13–15 pulls
    const events = result.deviceEvents;
    expect(events.map((e) => [e.device, e.kind, e.index, e.value])).toEqual([
      ['GPIOA', 'pin', 5, 1],
      ['GPIOA', 'pin', 5, 0],
      ['GPIOA', 'pin', 5, 1],
      ['GPIOA', 'pin', 5, 0],
    ]);
    // Each event is stamped at the start of its store (the clock is exact at the accessing
    // instruction). The first block from reset: ldr literal 2, ldr [r0] 2 (its address is the
    // previous load's destination), bic 1, orr 1, str 1, movs 1, movs 1, then loop 1's str.
    expect(events[0]!.cycles).toBe(2 + 2 + 1 + 1 + 1 + 1 + 1);
    const deltas = events.slice(1).map((e, i) => e.cycles - events[i]!.cycles);
    // Loop 1 (str 1, eor 1, subs 1, bne taken 1+P) between the BSRR stores; then the rest of its
    // last pass (str, eor, subs, bne not taken: 4) and movs 1 + ldr 2 + eor 1 before the first ODR
    // store; loop 2 (str 1, subs 1, bne taken 1+P, ldr 2, eor 1) between the ODR stores.
    expect(deltas).toEqual([4 + P, 4 + 4, 6 + P]);
    expect(result.deviceEventsDropped).toBe(0);
    // Writes to the read-only IDR and to a reserved word: recorded, not faults.
    expect(result.deviceIgnoredWrites).toEqual([
      { device: 'GPIOA', offset: 0x10, writes: 1 },
      { device: 'GPIOA', offset: 0x28, writes: 1 },
    ]);
  });

  it('the events are in the JSON as devices.events', () => {
    const r = cli(['simulate', build('stm32-gpio'), '--board', 'stm32f439', '--json']);
    expect(r.status).toBe(5);
    const j = JSON.parse(r.stdout) as { devices: { events: unknown[]; dropped: number } };
    expect(j.devices.dropped).toBe(0);
    expect(j.devices.events).toHaveLength(4);
    expect(j.devices.events[0]).toMatchObject({ device: 'GPIOA', kind: 'pin', index: 5, value: 1 });
  });
});

describe.skipIf(!haveToolchain)('simulate --uart FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'm4sim-uart-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the UART bytes to FILE, not stdout (replacing what was there)', () => {
    const file = join(dir, 'uart.txt');
    writeFileSync(file, 'old content that is longer than the output of the firmware\n');
    const r = cli(['simulate', build('stm32-usart-poll'), '--board', 'stm32f439', '--uart', file]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(file, 'utf8')).toBe('hello from USART1\r\n');
  });

  it('with --stdin the UART receives standard input', () => {
    const file = join(dir, 'echo.txt');
    const r = cli(
      ['simulate', build('stm32-usart-echo'), '--board', 'stm32f439', '--stdin', '--uart', file],
      'hi\n',
    );
    expect(r.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('hi\n[idle]\r\n');
  });

  it('a folder, a missing folder or a special file is refused with status 73 before the run', () => {
    const elf = build('stm32-usart-poll');
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    const cases: [string, string][] = [
      [sub, 'a folder'],
      [join(dir, 'missing', 'uart.txt'), 'no such folder'],
      ['/dev/null', 'a device'],
    ];
    const fifo = join(dir, 'fifo');
    if (spawnSync('mkfifo', [fifo]).status === 0) cases.push([fifo, 'a FIFO']); // writing it would stall the run
    for (const [path, why] of cases) {
      const r = cli(['simulate', elf, '--board', 'stm32f439', '--uart', path]);
      expect(r.status, path).toBe(73);
      expect(r.stderr).toBe(`m4sim: --uart ${path}: cannot be written (${why})\n`);
      expect(r.stdout).toBe('');
    }
  });

  it('is refused for the face detector (a usage error)', () => {
    const r = cli(['simulate', '--uart', join(dir, 'x.txt')]);
    expect(r.status).toBe(64);
    expect(r.stderr).toBe('m4sim: --uart: only with a firmware ELF\n');
  });
});

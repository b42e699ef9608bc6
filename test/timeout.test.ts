// --timeout is enforced within a bounded latency whatever the firmware does (issue 8 item 3): a
// native watchdog thread stops the emulator at the deadline, at the next block boundary.
import { describe, expect, it } from 'vitest';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli, simulate } from './helpers/run.js';

describe('--timeout is a positive duration', () => {
  it.each(['0', '0ms', '-5s', '1e9', '10x', ''])('refuses %j with one usage line (64)', (text) => {
    const r = cli(['simulate', 'no-such.elf', '--timeout', text]);
    expect(r.status).toBe(64);
    expect(r.stderr).toBe(
      `m4sim: --timeout: expected a positive duration like 30s or 500ms, got "${text}"\n`,
    );
  });

  it('refuses more than 24 hours', () => {
    const r = cli(['simulate', 'no-such.elf', '--timeout', '1441m']);
    expect(r.status).toBe(64);
    expect(r.stderr).toBe('m4sim: --timeout: at most 24 hours (1440m), got "1441m"\n');
  });
});

describe.skipIf(!haveToolchain)('--timeout stops the run on time', () => {
  it('a firmware sliding through 1 MiB of erased flash (every block new) stops at 500 ms', () => {
    // Without the watchdog this run takes 8–28 s (each new block is decoded and costed in
    // JavaScript, and the clock was only read every 65,536 blocks) and ends in a fetch fault at the
    // end of flash. The bound is functional, not a benchmark: generous for a shared 2-core machine,
    // node start-up included, and far below the unguarded run.
    const elf = buildTestFirmware('zero-sled');
    const t0 = Date.now();
    const r = cli(['simulate', elf, '--timeout', '500ms']);
    const wall = (Date.now() - t0) / 1000;
    expect(r.status).toBe(124);
    expect(r.stdout).toBe('sliding\n');
    expect(r.stderr).toMatch(
      /ended +timeout: stopped after 500 ms of wall-clock time \(--timeout\) in 0x080[0-9a-f]{5}\n/,
    );
    expect(wall).toBeLessThan(3);
  });

  it('--timeout 1ms is applied to a firmware that finishes in a few thousand blocks', () => {
    // hello needs tens of milliseconds of host time (translation), but fewer than the 65,536 blocks
    // after which the old clock check looked: it used to run to its exit(3).
    const r = cli(['simulate', buildTestFirmware('hello'), '--timeout', '1ms']);
    expect(r.status).toBe(124);
    expect(r.stderr).toMatch(/timeout: stopped after 1 ms of wall-clock time \(--timeout\)/);
  });

  it('a never-ending firmware stops at --timeout 1ms; durations below 1 ms round up to 1 ms', () => {
    // 1 ms from the start of the run ends it within its first blocks (in Reset_Handler).
    const elf = buildTestFirmware('forever');
    for (const t of ['1ms', '0.2ms']) {
      const r = cli(['simulate', elf, '--timeout', t]);
      expect(r.status).toBe(124);
      expect(r.stderr).toMatch(/timeout: stopped after 1 ms of wall-clock time \(--timeout\) in \S+\n/);
    }
  });

  it('through the library: the same zero sled, timeoutMs 300, ends as a timeout', () => {
    const t0 = Date.now();
    const { result } = simulate(buildTestFirmware('zero-sled'), { timeoutMs: 300 });
    expect(result.exit.reason).toBe('timeout');
    expect(result.exit.code).toBe(124);
    // Functional bound (see above); the watchdog's latency is one block plus its JavaScript costing.
    expect((Date.now() - t0) / 1000).toBeLessThan(2.5);
  });
});

describe.skipIf(!haveToolchain)('the detector obeys the run limits too', () => {
  it('--max-instructions 100000 stops the detector firmware with 125', () => {
    // The detector needs about 693 M instructions for a frame; the limit stops it in its first layer.
    const r = cli(['simulate', '--max-instructions', '100000', '--no-reference']);
    expect(r.status).toBe(125);
    expect(r.stderr).toMatch(
      /m4sim: detector firmware ended: instruction-limit: stopped after 100\d{3} instructions \(--max-instructions 100000\)/,
    );
  });

  it('--timeout 0 is refused for the detector as for any firmware', () => {
    const r = cli(['simulate', '--timeout', '0']);
    expect(r.status).toBe(64);
    expect(r.stderr).toBe('m4sim: --timeout: expected a positive duration like 30s or 500ms, got "0"\n');
  });
});

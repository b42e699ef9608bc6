// The GDB server with the real gdb (Debian's gdb-multiarch, batch mode) against
// test/firmware/gdb-debug.c built at -O0 -g: the values asserted are the source's (limit 3, counter
// incremented before each square(i), total 0 + 1 + 4, scale 1.5), gdb's own way of printing them
// (an exit code in octal: 43 is 053), and the free run's figures for the same firmware, which a
// debugged run must equal. The bare-protocol cases (Ctrl-C, disconnect, bad packets) use a client
// of our own against test/firmware/until-loop.c, which never exits.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';
import { cli } from './helpers/run.js';
import { debug, GDB, haveGdb, RspClient, startServer } from './helpers/gdb.js';
import type { RunJson } from '../src/report/json.js';

if (!haveGdb) console.log(`test/gdb.test.ts: skipped, ${GDB} is missing (Debian package gdb-multiarch)`);

const firmware = () => buildTestFirmware('gdb-debug', { cflags: ['-O0'] });

/** The free run's JSON (`m4sim simulate --json`). */
function freeRun(elf: string, args: string[] = []): RunJson {
  const r = cli(['simulate', elf, '--json', ...args]);
  return JSON.parse(r.stdout) as RunJson;
}

/** `N cycles (…), M instructions, at …` of `monitor cycles`. */
function monitorCycles(output: string): { cycles: number; instructions: number }[] {
  return [...output.matchAll(/^(\d+) cycles \(.*\), (\d+) instructions, at /gm)].map((m) => ({
    cycles: Number(m[1]),
    instructions: Number(m[2]),
  }));
}

/** The JSON of a run without its host figures (wall time differs). */
function figures(j: RunJson): Omit<RunJson, 'host'> {
  return Object.fromEntries(Object.entries(j).filter(([k]) => k !== 'host')) as Omit<RunJson, 'host'>;
}

describe.skipIf(!haveToolchain || !haveGdb)('gdb-multiarch against m4sim simulate --gdb', () => {
  it('breaks at a function and reads registers, globals and FPU registers', async () => {
    const r = await debug(firmware(), [
      'break square',
      'continue',
      'p counter',
      'p limit',
      'p scale',
      'p x',
      'p/x $pc',
      'p $msp == $sp',
      'p ($xpsr >> 24) & 1',
      'set $s2 = 0',
      'set $s3 = -0.75',
      'p $s3',
      'p/x $d1',
      'bt',
      'kill',
    ]);
    expect(r.gdb).toMatch(/Breakpoint 1, square \(x=0\) at .*gdb-debug\.c:14/);
    // counter was incremented once before square(0); limit and scale as initialised.
    expect(r.gdb).toMatch(/^\$1 = 1$/m);
    expect(r.gdb).toMatch(/^\$2 = 3$/m);
    expect(r.gdb).toMatch(/^\$3 = 1\.5$/m);
    expect(r.gdb).toMatch(/^\$4 = 0$/m);
    // The PC is where gdb put the breakpoint (after the prologue); Thread mode on the main stack;
    // EPSR.T set.
    const at = /^Breakpoint 1 at (0x[0-9a-f]+): file /m.exec(r.gdb)?.[1];
    expect(at).toBeDefined();
    expect(r.gdb).toMatch(new RegExp(`^\\$5 = ${at}$`, 'm'));
    expect(r.gdb).toMatch(/^\$6 = 1$/m);
    expect(r.gdb).toMatch(/^\$7 = 1$/m);
    // S3 is D1's high word: -0.75 is 0xbf400000 (sign 1, exponent 126, fraction 0.5).
    expect(r.gdb).toMatch(/^\$8 = -0\.75$/m);
    expect(r.gdb).toMatch(/^\$9 = 0xbf40000000000000$/m);
    expect(r.gdb).toMatch(/#1 +0x[0-9a-f]+ in main \(\) at .*gdb-debug\.c:21/);
    // gdb's kill ends the run: reason killed, status 128 + SIGKILL.
    expect(r.status).toBe(137);
    expect(r.stderr).toMatch(/ended +killed: killed by gdb at square\+0x[0-9a-f]+ \(pc 0x[0-9a-f]{8}\)/);
  });

  it('steps into a call, steps over one with next, and returns with finish', async () => {
    const r = await debug(firmware(), [
      'break gdb-debug.c:21',
      'continue',
      'step',
      'finish',
      'next',
      'next',
      'next',
      'next',
      'p total',
      'p counter',
      'p i',
      'kill',
    ]);
    expect(r.gdb).toMatch(/square \(x=0\) at .*gdb-debug\.c:14/);
    expect(r.gdb).toMatch(/^Value returned is \$1 = 0$/m);
    // finish back in main at line 21 (the addition after the call), then: line 19 (i++), 20, 21
    // (next steps over square(1)), 19.
    expect(r.gdb).toMatch(/^19\t {2}for \(int i = 0; i < limit; i\+\+\) \{$/m);
    expect(r.gdb).toMatch(/^20\t {4}counter = counter \+ 1;$/m);
    expect(r.gdb).not.toMatch(/square \(x=1\)/);
    // total = square(0) + square(1) = 1, counter 2, and i still 1: the stop is before line 19's i++.
    expect(r.gdb).toMatch(/^\$\d+ = 1\n\$\d+ = 2\n\$\d+ = 1$/m);
    expect(r.status).toBe(137);
  });

  it('sets a global the firmware then prints, and continues to its exit with its status', async () => {
    const r = await debug(firmware(), ['break main', 'continue', 'set var limit = 5', 'delete', 'continue']);
    expect(r.stdout).toBe('limit 5 counter 5 total 30 scaled 45\n');
    // gdb prints the exit code in octal: 45 is 055.
    expect(r.gdb).toContain('[Inferior 1 (Remote target) exited with code 055]');
    expect(r.status).toBe(45);
    const unchanged = await debug(firmware(), ['continue']);
    expect(unchanged.stdout).toBe('limit 3 counter 3 total 5 scaled 7\n');
    expect(unchanged.gdb).toContain('[Inferior 1 (Remote target) exited with code 053]');
    expect(unchanged.status).toBe(43);
  });

  it('stops at a write watchpoint with the old and new values, and at a read watchpoint', async () => {
    const r = await debug(firmware(), [
      'break main',
      'continue',
      'watch counter',
      'continue',
      'continue',
      'delete',
      'rwatch limit',
      'continue',
      'kill',
    ]);
    expect(r.gdb).toMatch(/Hardware watchpoint 2: counter\n\nOld value = 0\nNew value = 1\n/);
    expect(r.gdb).toMatch(/Hardware watchpoint 2: counter\n\nOld value = 1\nNew value = 2\n/);
    expect(r.gdb).toMatch(/Hardware read watchpoint 3: limit\n\nValue = 3\n/);
    expect(r.status).toBe(137);
  });

  it('monitor cycles at a breakpoint equals the free run stopped there with --until', async () => {
    const elf = firmware();
    const r = await debug(
      elf,
      ['break *square', 'continue', 'monitor cycles', 'monitor sram', 'kill'],
      ['--json'],
    );
    const [atSquare] = monitorCycles(r.gdb);
    const free = freeRun(elf, ['--until', 'square']);
    expect(free.exit.reason).toBe('until-symbol');
    expect(atSquare).toEqual({ cycles: free.cycles, instructions: free.instructions });
    // Killed there, the run's figures are those at the breakpoint too.
    const killed = JSON.parse(r.stdout) as RunJson;
    expect(killed.exit.reason).toBe('killed');
    expect({ cycles: killed.cycles, instructions: killed.instructions }).toEqual(atSquare);
    const sram =
      /^(\d+) bytes of SRAM so far \(of 262144\): static (\d+) \(\.data (\d+), \.bss (\d+), other (\d+)\), heap (\d+), stack (\d+) /m.exec(
        r.gdb,
      );
    expect(sram).not.toBeNull();
    const [total, statics, data, bss, other, heap, stack] = sram!.slice(1).map(Number);
    expect(statics).toBe(data! + bss! + other!);
    expect(total).toBe(statics! + heap! + stack!);
    expect({ data, bss, heap, stack }).toEqual({
      data: free.sram.data,
      bss: free.sram.bss,
      heap: free.sram.heap,
      stack: free.sram.stack,
    });
  });

  it('a run stepped instruction by instruction and line by line ends with the free run’s figures', async () => {
    const elf = firmware();
    const r = await debug(
      elf,
      ['stepi 1000', 'break square', 'continue', 'next', 'next', 'step', 'stepi 20', 'delete', 'continue'],
      ['--json'],
    );
    expect(r.gdb).toContain('exited with code 053');
    const stepped = JSON.parse(r.stdout) as RunJson;
    expect(figures(stepped)).toEqual(figures(freeRun(elf)));
  });

  it('reports a fault as a signal at the faulting instruction, then its end', async () => {
    const elf = buildTestFirmware('past-sram');
    const free = freeRun(elf);
    const r = await debug(elf, ['continue', 'p/x $pc', 'continue']);
    expect(r.gdb).toContain('Program received signal SIGSEGV, Segmentation fault.');
    expect(r.gdb).toMatch(new RegExp(`^\\$1 = 0x${free.exit.pc!.toString(16)}$`, 'm'));
    expect(r.gdb).toContain('Program terminated with signal SIGSEGV, Segmentation fault.');
    expect(r.status).toBe(139);
  });

  it('detach lets the firmware run on to its end', async () => {
    const r = await debug(firmware(), ['break square', 'continue', 'detach']);
    expect(r.stdout).toBe('limit 3 counter 3 total 5 scaled 7\n');
    expect(r.status).toBe(43);
  });

  it('monitor help and monitor reset', async () => {
    const r = await debug(firmware(), [
      'monitor help',
      'monitor frobnicate',
      'break *square',
      'continue',
      'monitor reset',
      'maintenance flush register-cache',
      'p/x $pc == (unsigned) Reset_Handler',
      'monitor cycles',
      'continue',
      'monitor cycles',
      'kill',
    ]);
    expect(r.gdb).toContain('monitor cycles   modeled cycles and instructions so far');
    expect(r.gdb).toContain('unknown monitor command "frobnicate"');
    expect(r.gdb).toMatch(/^\$1 = 0x1$/m);
    const [afterReset, atSquareAgain] = monitorCycles(r.gdb);
    expect(afterReset).toEqual({ cycles: 0, instructions: 0 });
    const free = freeRun(firmware(), ['--until', 'square']);
    expect(atSquareAgain).toEqual({ cycles: free.cycles, instructions: free.instructions });
  });
});

describe.skipIf(!haveToolchain)('the GDB server on the wire', () => {
  it('interrupts a running firmware on Ctrl-C, and ends the run when the client goes away', async () => {
    const server = await startServer(buildTestFirmware('until-loop'));
    const c = new RspClient(server.port);
    expect(await c.ask('qSupported:multiprocess+')).toBe('PacketSize=4000;qXfer:features:read+');
    expect(await c.ask('?')).toBe('S05');
    c.send('c');
    expect(await c.next()).toBe('+');
    // The firmware prints once, then loops forever: it is running when this arrives.
    await server.printed('inference done\n');
    c.raw('\x03');
    expect(await c.next()).toMatch(/^\$T02#/);
    const answer = Buffer.from(
      await c.ask(`qRcmd,${Buffer.from('cycles').toString('hex')}`),
      'hex',
    ).toString();
    expect(answer).toMatch(/^\d+ cycles \(.+\), \d+ instructions, at (main|main_loop_idle)\b/);
    c.send('c');
    expect(await c.next()).toBe('+');
    c.close();
    expect(await server.status).toBe(137);
    const lines = server.stderr().split('\n');
    expect(lines.filter((l) => l.startsWith('m4sim:') && l.includes('disconnected'))).toEqual([
      'm4sim: the gdb client disconnected; the run ends here',
    ]);
    expect(server.stderr()).toMatch(/ended +killed: the gdb client disconnected at /);
  });

  it('answers - to a bad checksum, the empty reply to an unknown command, and one client only', async () => {
    const server = await startServer(buildTestFirmware('until-loop'));
    const c = new RspClient(server.port);
    c.raw('$g#00');
    expect(await c.next()).toBe('-');
    expect(await c.ask('qUnknownThing')).toBe('');
    expect(await c.ask('mzz,4')).toBe('E01');
    // A second client is turned away while the first is connected.
    const second = new RspClient(server.port);
    await second.closed;
    expect(await c.ask('p f')).toBe('E01');
    expect((await c.ask('pf')).length).toBe(8);
    c.send('k');
    expect(await c.next()).toBe('+');
    await c.closed;
    expect(await server.status).toBe(137);
    expect(server.stderr()).toMatch(/ended +killed: killed by gdb/);
  });

  it('refuses a port in use with one line and status 69', async () => {
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = cli(['simulate', buildTestFirmware('hello'), '--gdb', `127.0.0.1:${port}`]);
      expect(r.status).toBe(69);
      expect(r.stderr).toBe(`m4sim: --gdb 127.0.0.1:${port}: the address is in use\n`);
    } finally {
      busy.close();
    }
  });

  it('refuses --gdb where it cannot apply (usage errors, status 64)', () => {
    const hello = buildTestFirmware('hello');
    expect(cli(['simulate', hello, '--gdb', 'nope'])).toMatchObject({
      status: 64,
      stderr:
        'm4sim: --gdb: expected a port (0 to 65535, 0: any free one) or HOST:PORT, like 3333 or 127.0.0.1:3333, got "nope"\n',
    });
    expect(cli(['simulate', hello, '--gdb', '0', '--timeout', '5s']).status).toBe(64);
    expect(cli(['simulate', '--gdb', '0']).stderr).toBe('m4sim: --gdb: only with a firmware ELF\n');
  });
});

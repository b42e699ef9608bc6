// The command line's own behaviour: help, doctor, argument errors.
import { describe, expect, it } from 'vitest';
import { cli } from './helpers/run.js';

describe('m4sim command line', () => {
  it('doctor names the compiler, Unicorn and Capstone with their versions', () => {
    const r = cli(['doctor']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok +arm-none-eabi-gcc +\S+ .*\((env|path|xpack|debian): /m);
    expect(r.stdout).toMatch(/^ok +unicorn +2\.\d+ \(libunicorn 2\./m);
    expect(r.stdout).toMatch(/^ok +capstone +\d+\.\d+/m);
    const j = JSON.parse(cli(['doctor', '--json']).stdout);
    expect(j.items.map((i: { name: string }) => i.name)).toEqual(
      expect.arrayContaining(['arm-none-eabi-gcc', 'newlib (rdimon)', 'unicorn', 'capstone']),
    );
  });

  it('an unknown command or option is a usage error (64) on one line plus help hint', () => {
    const r = cli(['simulate', 'x.elf', '--frobnicate']);
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
  });

  it('simulate --help documents the limits and their defaults', () => {
    const r = cli(['simulate', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--max-instructions <n>.*\(default: "20000000000"\)/s);
    expect(r.stdout).toContain('--sandbox <dir>');
  });
});

// Scenarios and `m4sim check`: schema errors name the field, budgets and expected failures, baselines,
// JUnit/JSON output, worker threads, and every shipped scenario within its budgets (the RAM-budget
// regression test).
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDetector } from '../src/detector/build.js';
import { compareBaseline, type Baseline } from '../src/scenarios/baseline.js';
import { evaluate } from '../src/scenarios/budgets.js';
import { runScenarios, shard, workerScript } from '../src/scenarios/parallel.js';
import { runScenario, type ScenarioResult } from '../src/scenarios/run.js';
import { loadScenario, parseScenario, ScenarioError, type Scenario } from '../src/scenarios/schema.js';
import { projectRoot } from '../src/util/paths.js';
import { haveToolchain } from './helpers/firmware.js';
import { cli } from './helpers/run.js';

const ROOT = projectRoot();
const SCENARIO_DIR = join(ROOT, 'scenarios');
const HELLO_SOURCE = join(ROOT, 'scenarios', 'hello', 'hello.c');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'm4sim-scenarios-'));
  // A scenario's sources live in its folder (src/scenarios/source-firmware.ts).
  copyFileSync(HELLO_SOURCE, join(tmp, 'hello.c'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
}

/** The hello-world scenario, in the temporary folder with its copy of hello.c. */
function helloScenario(budgets: string, extra = ''): string {
  return [
    'firmware:',
    '  source: hello.c',
    'exit: 3',
    'output: hello from the M4',
    'budgets:',
    ...budgets
      .trim()
      .split('\n')
      .map((l) => `  ${l.trim()}`),
    extra,
  ].join('\n');
}

function schemaError(text: string): string {
  const file = write('bad.yaml', text);
  try {
    loadScenario(file);
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('expected a schema error');
}

describe('scenario schema', () => {
  it('names the file, the field and what was expected', () => {
    const err = schemaError('firmware: { elf: a.elf }\nbudgets: { sram: lots }\n');
    expect(err).toMatch(
      /bad\.yaml: budgets\.sram: expected a size like 256K or a number of bytes, got "lots"$/,
    );
    expect(schemaError('firmware: { elf: a.elf }\nbudgets: { sramm: 1K }\n')).toMatch(
      /bad\.yaml: budgets: unknown field "sramm"$/,
    );
    expect(schemaError('budgets: { sram: 1K }\n')).toMatch(/bad\.yaml: firmware: missing \(required\)$/);
    expect(schemaError('firmware: { elf: a.elf, detector: {} }\n')).toMatch(
      /firmware: expected exactly one of detector, elf, source, got detector and elf$/,
    );
    expect(schemaError('firmware: { detector: { threshold: 2 } }\n')).toMatch(
      /firmware\.detector\.threshold: expected a score in \[0, 1\)$/,
    );
    expect(schemaError('firmware: { detector: }\nimages: [a.png, 7]\n')).toMatch(
      /images\[1\]: expected a file path$/,
    );
    expect(schemaError('firmware: { detector: }\nclock: fast\n')).toMatch(
      /clock: expected a frequency like 168MHz, got "fast"$/,
    );
    expect(schemaError('firmware: { detector: }\nbudgets: { cycles: many }\n')).toMatch(
      /budgets\.cycles: expected a cycle count like 1\.76G, 1760M or 1760000000, got "many"$/,
    );
    expect(schemaError('firmware: { detector: }\nexpect: { fail: [sarm] }\n')).toMatch(
      /expect\.fail\[0\]: expected one of sram, static, stack, heap, flash, cycles, match, exit, output, got "sarm"$/,
    );
    expect(schemaError('firmware: { elf: a.elf }\nimages: [a.png]\n')).toMatch(
      /images: only a detector firmware takes images$/,
    );
    expect(schemaError('firmware: { elf: a.elf }\nram: 1.5\n')).toMatch(/ram: expected a size/);
    expect(schemaError('- a list\n')).toMatch(/bad\.yaml: expected a mapping of scenario fields/);
    expect(schemaError('firmware: [x\n')).toMatch(/bad\.yaml: not valid YAML: /);
  });

  it('reads sizes, counts and frequencies, and resolves paths against the scenario file', () => {
    const s = parseScenario(
      {
        firmware: { detector: { model: '../models/m.json' } },
        board: 'stm32f439',
        ram: '160K',
        clock: '48MHz',
        images: ['images/a.png'],
        budgets: { sram: '188KB', stack: 4096, flash: '1M', cycles: '1.76G' },
        expect: { fail: ['sram'], reason: 'too big' },
      },
      '/x/scenarios/demo.yaml',
    );
    expect(s.name).toBe('demo');
    expect(s.firmware).toEqual({ kind: 'detector', model: '/x/models/m.json', threshold: undefined });
    expect(s.ram).toBe(160 * 1024);
    expect(s.clockHz).toBe(48e6);
    expect(s.images).toEqual(['/x/scenarios/images/a.png']);
    expect(s.budgets).toEqual({ sram: 188 * 1024, stack: 4096, flash: 1 << 20, cycles: 1.76e9 });
    expect(s.expect).toEqual({ outcome: 'fail', fail: ['sram'], reason: 'too big' });
    expect(s.exitCode).toBe(0);
  });

  it('every shipped scenario is valid', () => {
    const files = readdirSync(SCENARIO_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(
      expect.arrayContaining([
        'm4-256k.yaml',
        'stm32f439.yaml',
        'tight-120k.yaml',
        'm4-128k.yaml',
        'hello-elf.yaml',
      ]),
    );
    for (const f of files) expect(() => loadScenario(join(SCENARIO_DIR, f))).not.toThrow();
  });
});

/** A measured result with the given figures, for the pure budget and baseline logic. */
function fakeResult(
  s: Scenario,
  over: { total?: number; cycles?: number; stack?: number } = {},
): ScenarioResult {
  return {
    name: s.name,
    file: s.displayFile,
    board: 'm4-256k',
    ramSize: 262144,
    clockHz: 168e6,
    firmware: 'x',
    measured: {
      sram: {
        total: over.total ?? 1000,
        static: 500,
        stack: over.stack ?? 300,
        heap: 200,
        data: 400,
        bss: 100,
      },
      flash: { used: 4000, size: 1 << 20 },
      cycles: over.cycles ?? 1_000_000,
      instructions: 900_000,
      seconds: 0.006,
      match: null,
      exit: { reason: 'exit', code: 0, message: '' },
      output: '',
    },
    images: [],
    notes: [],
    error: null,
    doesNotFit: null,
    wallSeconds: 0.1,
  };
}

describe('budgets, expected failures and baselines', () => {
  const scenario = (extra: Record<string, unknown>) =>
    parseScenario(
      { firmware: { elf: 'a.elf' }, budgets: { sram: 2000, cycles: '1.5M' }, ...extra },
      't.yaml',
    );

  it('gives value, limit and margin per budget, and fails a broken one', () => {
    const s = scenario({});
    const v = evaluate(s, fakeResult(s, { total: 2100 }));
    expect(v.ok).toBe(false);
    const sram = v.rows.find((r) => r.budget === 'sram')!;
    expect(sram).toMatchObject({ value: 2100, limit: 2000, margin: -100, pass: false, status: 'FAIL' });
    expect(v.rows.find((r) => r.budget === 'cycles')).toMatchObject({ margin: 500_000, status: 'ok' });
    expect(v.rows.find((r) => r.budget === 'exit')).toMatchObject({ value: '0', limit: '0', pass: true });
  });

  it('checks peak SRAM against the board when no sram budget is given', () => {
    const s = parseScenario({ firmware: { elf: 'a.elf' } }, 't.yaml');
    const v = evaluate(s, fakeResult(s, { total: 300_000 }));
    expect(v.rows[0]).toMatchObject({ budget: 'sram', limit: 262144, pass: false });
  });

  it('counts an expected failure as a pass, and an unexpected pass as a failure', () => {
    const s = scenario({ expect: { fail: ['sram'], reason: 'does not fit' } });
    const broken = evaluate(s, fakeResult(s, { total: 2100 }));
    expect(broken.ok).toBe(true);
    expect(broken.rows.find((r) => r.budget === 'sram')!.status).toBe('xfail');
    const fits = evaluate(s, fakeResult(s, { total: 1900 }));
    expect(fits.ok).toBe(false);
    expect(fits.rows.find((r) => r.budget === 'sram')!.status).toBe('XPASS');
    // Another budget breaking is still a failure.
    const cycles = evaluate(s, fakeResult(s, { total: 2100, cycles: 2e6 }));
    expect(cycles.ok).toBe(false);
    // `expect: fail`: any budget may break.
    const any = scenario({ expect: 'fail' });
    expect(evaluate(any, fakeResult(any, { cycles: 2e6 })).ok).toBe(true);
    expect(evaluate(any, fakeResult(any)).ok).toBe(false);
  });

  it('fails a cycles increase beyond the tolerance and any byte increase', () => {
    const s = scenario({});
    const base: Baseline = {
      schema: 1,
      scenarios: { t: { cycles: 1_000_000, sram: 1000, static: 500, stack: 300, heap: 200, flash: 4000 } },
    };
    const within = compareBaseline(base, [fakeResult(s, { cycles: 1_010_000 })]);
    expect(within.rows.every((r) => r.pass)).toBe(true);
    const over = compareBaseline(base, [fakeResult(s, { cycles: 1_010_001 })]);
    expect(over.rows.find((r) => r.metric === 'cycles')).toMatchObject({ pass: false, delta: 10_001 });
    const bytes = compareBaseline(base, [fakeResult(s, { stack: 304 })]);
    expect(bytes.rows.filter((r) => !r.pass).map((r) => r.metric)).toEqual(['stack']);
    const loose = compareBaseline(base, [fakeResult(s, { stack: 304, cycles: 1_040_000 })], {
      cycles: 0.05,
      bytes: 8,
    });
    expect(loose.rows.every((r) => r.pass)).toBe(true);
    expect(compareBaseline({ schema: 1, scenarios: {} }, [fakeResult(s)]).missing).toEqual(['t']);
  });

  it('shards every n-th scenario', () => {
    const items = [0, 1, 2, 3, 4, 5, 6];
    expect(shard(items, 1, 3)).toEqual([0, 3, 6]);
    expect(shard(items, 3, 3)).toEqual([2, 5]);
    expect([1, 2, 3].flatMap((i) => shard(items, i, 3)).sort()).toEqual(items);
  });
});

/** A minimal XML reader: checks nesting and returns the elements with their attributes. */
function parseXml(xml: string): { name: string; attrs: Record<string, string>; parent: string | null }[] {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const elements: { name: string; attrs: Record<string, string>; parent: string | null }[] = [];
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = tag.exec(body)) !== null) {
    pos = tag.lastIndex;
    if (m[5] !== undefined) {
      if (/&(?!(amp|lt|gt|quot|apos);)/.test(m[5])) throw new Error(`bad entity in text: ${m[5]}`);
      continue;
    }
    const [, close, name, attrText, selfClose] = m;
    if (close) {
      if (stack.pop() !== name) throw new Error(`mismatched </${name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of attrText!.matchAll(/([\w:.-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    elements.push({ name: name!, attrs, parent: stack[stack.length - 1] ?? null });
    if (!selfClose) stack.push(name!);
  }
  if (pos !== body.length) throw new Error(`unparsed XML at ${pos}: ${body.slice(pos, pos + 40)}`);
  if (stack.length) throw new Error(`unclosed <${stack.join('> <')}>`);
  return elements;
}

describe.skipIf(!haveToolchain)('m4sim check (command line)', () => {
  it('passes a scenario within its budgets and prints one row per budget', () => {
    const file = write('hello.yaml', helloScenario('sram: 10K\nstack: 1K\ncycles: 18K'));
    const r = cli(['check', file, '--jobs', '1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^hello\s+sram\s+[\d,]+ B\s+10,240 B\s+\+[\d,]+ B \([\d.]+%\)\s+ok$/m);
    expect(r.stdout).toMatch(/^hello\s+stack\s/m);
    expect(r.stdout).toMatch(/^hello\s+exit\s+3\s+3\s+ok$/m);
    expect(r.stdout).toMatch(/^hello\s+output\s+contains\s/m);
    expect(r.stdout).toMatch(/^ok: 1\/1 scenarios within budget$/m);
  });

  it('exits 1 on a tightened budget, naming the row that broke', () => {
    const file = write('tight.yaml', helloScenario('sram: 10K\nstack: 16'));
    const r = cli(['check', file, '--jobs', '1']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^tight\s+stack\s+[\d,]+ B\s+16 B\s+-[\d,]+ B \(-[\d.]+%\)\s+FAIL$/m);
    expect(r.stdout).toMatch(/^tight\s+sram\s.*\sok$/m);
    expect(r.stdout).toMatch(/^FAILED: 0\/1 scenarios within budget$/m);
  });

  it('exits 65 with one line naming the file and field of an invalid scenario', () => {
    const file = write('invalid.yaml', 'firmware: { elf: a.elf }\nbudgets: { sram: lots }\n');
    const r = cli(['check', file]);
    expect(r.status).toBe(65);
    expect(r.stderr).toBe(
      `m4sim: ${file}: budgets.sram: expected a size like 256K or a number of bytes, got "lots"\n`,
    );
    expect(cli(['check', file, '--shard', '3/2']).status).toBe(64);
  });

  it('writes a baseline, passes against it, and fails a baseline with fewer cycles', () => {
    const file = write('base.yaml', helloScenario('sram: 10K'));
    const baseline = join(tmp, 'baseline.json');
    const w = cli(['check', file, '--jobs', '1', '--baseline', baseline, '--update-baseline']);
    expect(w.status).toBe(0);
    const stored = JSON.parse(readFileSync(baseline, 'utf8')) as Baseline;
    expect(stored.schema).toBe(1);
    const entry = stored.scenarios.base!;
    expect(entry.cycles).toBeGreaterThan(1000);
    expect(entry.sram).toBe(entry.static + entry.stack + entry.heap);

    const same = cli(['check', file, '--jobs', '1', '--baseline', baseline]);
    expect(same.status).toBe(0);
    expect(same.stdout).toMatch(/^base\s+cycles\s+[\d,]+\s+[\d,]+\s+\+0 \(\+0\.00%\)\s+ok$/m);

    const faster = { ...stored, scenarios: { base: { ...entry, cycles: Math.round(entry.cycles * 0.95) } } };
    writeFileSync(baseline, JSON.stringify(faster));
    const r = cli(['check', file, '--jobs', '1', '--baseline', baseline]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^base\s+cycles\s+[\d,]+\s+[\d,]+\s+\+[\d,]+ \(\+5\.\d\d%\)\s+FAIL$/m);
    expect(r.stdout).toMatch(/regression against the baseline/);
    // A looser tolerance lets it through.
    expect(
      cli(['check', file, '--jobs', '1', '--baseline', baseline, '--cycles-tolerance', '6']).status,
    ).toBe(0);
  });

  it('writes JUnit XML and JSON that describe every row', () => {
    const good = write('good.yaml', helloScenario('sram: 10K'));
    const bad = write('bad-stack.yaml', helloScenario('stack: 16'));
    const junit = join(tmp, 'results.xml');
    const json = join(tmp, 'results.json');
    const r = cli(['check', good, bad, '--jobs', '2', '--junit', junit, '--json', json]);
    expect(r.status).toBe(1);
    const elements = parseXml(readFileSync(junit, 'utf8'));
    const root = elements[0]!;
    expect(root).toMatchObject({ name: 'testsuites', parent: null });
    const suites = elements.filter((e) => e.name === 'testsuite');
    expect(suites.every((s) => s.parent === 'testsuites')).toBe(true);
    expect(suites.map((s) => s.attrs.name)).toEqual(['good', 'bad-stack']);
    const cases = elements.filter((e) => e.name === 'testcase');
    expect(cases.every((c) => c.parent === 'testsuite')).toBe(true);
    expect(Number(root.attrs.tests)).toBe(cases.length);
    expect(root.attrs.failures).toBe('1');
    expect(suites[1]!.attrs).toMatchObject({ failures: '1', errors: '0' });
    const failures = elements.filter((e) => e.name === 'failure');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.parent).toBe('testcase');
    expect(failures[0]!.attrs.message).toMatch(/^\d+ B \(limit 16 B\)/);
    expect(cases.map((c) => `${c.attrs.classname}/${c.attrs.name}`)).toContain('m4sim.check.bad-stack/stack');

    const doc = JSON.parse(readFileSync(json, 'utf8')) as {
      schema: number;
      ok: boolean;
      scenarios: { name: string; ok: boolean; rows: { budget: string; pass: boolean }[] }[];
    };
    expect(doc.schema).toBe(1);
    expect(doc.ok).toBe(false);
    expect(doc.scenarios.map((s) => [s.name, s.ok])).toEqual([
      ['good', true],
      ['bad-stack', false],
    ]);
    expect(doc.scenarios[1]!.rows.find((row) => row.budget === 'stack')!.pass).toBe(false);
  });
});

describe.skipIf(!haveToolchain)('worker threads', () => {
  it('run scenarios from dist/ with the same results as in this thread', async () => {
    expect(workerScript(), 'dist/ must be built (npm test builds it)').not.toBeNull();
    const a = loadScenario(write('w1.yaml', helloScenario('sram: 10K')));
    const b = loadScenario(write('w2.yaml', helloScenario('sram: 12K')));
    const inThread = await runScenarios([a, b], { jobs: 1 });
    const threaded = await runScenarios([a, b], { jobs: 2 });
    expect(threaded.notes).toEqual([]);
    expect(threaded.results.map((r) => r.name)).toEqual(['w1', 'w2']);
    for (const k of [0, 1]) {
      expect(threaded.results[k]!.error).toBeNull();
      expect(threaded.results[k]!.measured!.sram).toEqual(inThread.results[k]!.measured!.sram);
      expect(threaded.results[k]!.measured!.cycles).toBe(inThread.results[k]!.measured!.cycles);
    }
  });
});

// The RAM-budget regression test: every shipped scenario, within its budgets (expected failures pass).
describe.skipIf(!haveToolchain)('shipped scenarios', () => {
  const files = readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  beforeAll(() => {
    buildDetector(); // once, before the scenarios that share it
  });
  for (const f of files) {
    it(`${f} holds its budgets`, () => {
      const s = loadScenario(join(SCENARIO_DIR, f));
      expect(
        s.images.length,
        'at most two images per detector scenario keeps the suite fast',
      ).toBeLessThanOrEqual(2);
      const v = evaluate(s, runScenario(s));
      const broken = v.rows
        .filter((r) => !r.ok)
        .map((r) => `${r.budget} ${r.status}: ${r.value} vs ${r.limit}`);
      expect(broken, v.result.error ?? '').toEqual([]);
      expect(v.ok).toBe(true);
    });
  }
});

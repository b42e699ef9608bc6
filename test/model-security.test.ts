// Issue 8, item 1: a model file is data. Hostile model files (path traversal in header names, shell
// text and preprocessor lines in names, `.incbin` injection, values that would reach the compiler's
// argv) are refused with one line and status 65 before anything is generated or compiled, through
// `simulate --model`, `check` and `model import-edgeml`; a model that does not build is 65 too.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  generateHeaders,
  importEdgeML,
  loadModel,
  ModelError,
  parseModel,
  type Model,
} from '../src/model/index.js';
import { architectureNamed } from '../src/architectures/index.js';
import { CompileError, compileFirmware } from '../src/toolchain/toolchain.js';
import { projectRoot } from '../src/util/paths.js';
import { cli } from './helpers/run.js';

const SYNTHETIC = join(projectRoot(), 'models', 'face-m4-synthetic.model.json');
const BUILD = join(projectRoot(), 'firmware', 'build');
let tmp: string;
let base: Model;
let serial = 0;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'm4sim-hostile-'));
  base = JSON.parse(readFileSync(SYNTHETIC, 'utf8')) as Model;
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Mutable = Model & Record<string, unknown>;
const EMPTY_HEADER = { defines: {}, arrays: {}, scalars: {}, structs: {}, buffers: {} };

/** A copy of the shipped synthetic model changed by `mutate`, written to a fresh file in tmp. */
function hostile(mutate: (m: Mutable) => void): string {
  const m = JSON.parse(JSON.stringify(base)) as Mutable;
  mutate(m);
  const path = join(tmp, `hostile-${++serial}.model.json`);
  writeFileSync(path, JSON.stringify(m));
  return path;
}

/** A relative header name that climbs out of the detector build folder to `target`. */
const climbTo = (target: string): string => '../'.repeat(24) + target.split(sep).slice(1).join('/');

/** The detector build folders (buildDetector generates a model's headers in one of them). */
const buildDirs = (): Set<string> =>
  new Set(existsSync(BUILD) ? readdirSync(BUILD).filter((d) => d.startsWith('detector-')) : []);
/** The build folders made since `before`. */
const newBuildDirs = (before: Set<string>): string[] => [...buildDirs()].filter((d) => !before.has(d));

/** `m4sim … --model FILE …`: refused with status 65 and exactly one line naming `fragments`. */
function expectRefused(args: string[], ...fragments: string[]): string {
  const before = buildDirs();
  const r = cli(args);
  expect(r.status).toBe(65);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^m4sim: hostile-\d+\.model\.json: /);
  for (const f of fragments) expect(lines[0]).toContain(f);
  expect(r.stdout).toBe('');
  expect(r.stderr + r.stdout).not.toContain('root:');
  // Refused when the model is read: nothing was generated for it.
  expect(newBuildDirs(before)).toEqual([]);
  return lines[0]!;
}

describe('hostile model files are refused (simulate --model)', () => {
  it('path traversal in a header name: 65 naming the key, nothing written outside the build folder', () => {
    const target = join(tmp, 'escaped.h');
    const key = climbTo(target);
    const line = expectRefused(
      ['simulate', '--model', hostile((m) => (m.files[key] = EMPTY_HEADER as never))],
      `files["../../../`,
      'not a header of rnnpool-face-m4',
    );
    expect(line).toContain('expected one of conv2D.h, rnn1.h, rnn2.h, mbconv1.h');
    expect(existsSync(target)).toBe(false);

    // The literal ../../x.h: firmware/build/x.h without the fix.
    const name = `m4sim-escape-${process.pid}-${serial}.h`;
    const inBuild = join(BUILD, name);
    expectRefused(
      ['simulate', '--model', hostile((m) => (m.files[`../../${name}`] = EMPTY_HEADER as never))],
      `files["../../${name}"]`,
    );
    expect(existsSync(inBuild)).toBe(false);
    rmSync(inBuild, { force: true });

    // An absolute name and a name that renames a required header.
    const abs = join(tmp, 'abs.h');
    expectRefused(
      ['simulate', '--model', hostile((m) => (m.files[abs] = EMPTY_HEADER as never))],
      `files["/`,
    );
    expect(existsSync(abs)).toBe(false);
    expectRefused(
      [
        'simulate',
        '--model',
        hostile((m) => {
          m.files['model.h'] = m.files['detection4.h']!;
          delete m.files['detection4.h'];
        }),
      ],
      'files["model.h"]: not a header',
    );
  });

  it('script write: an existing executable is not overwritten, shell text in names is refused', () => {
    const victim = join(tmp, 'victim.sh');
    writeFileSync(victim, '#!/bin/sh\necho unchanged\n');
    chmodSync(victim, 0o755);
    const pwned = join(tmp, 'PWNED');
    const shell = `x\n#!/bin/sh\ntouch ${pwned}\n`;
    // The key points at the executable, the name carries the script (as in the report).
    expectRefused(
      [
        'simulate',
        '--model',
        hostile((m) => {
          m.name = shell;
          m.files[climbTo(victim)] = EMPTY_HEADER as never;
        }),
      ],
      'name: expected 1 to 64 letters',
      String.raw`"x\n#!/bin/sh\ntouch`,
    );
    expect(readFileSync(victim, 'utf8')).toBe('#!/bin/sh\necho unchanged\n');
    expect(statSync(victim).mode & 0o777).toBe(0o755);

    // Each carrier on its own: the key alone, the name alone, a define name alone.
    expectRefused(
      ['simulate', '--model', hostile((m) => (m.files[climbTo(victim)] = EMPTY_HEADER as never))],
      'files["../',
    );
    expect(readFileSync(victim, 'utf8')).toBe('#!/bin/sh\necho unchanged\n');
    expectRefused(['simulate', '--model', hostile((m) => (m.name = shell))], 'name: ');
    expectRefused(
      [
        'simulate',
        '--model',
        hostile((m) => (m.files['conv2D.h']!.defines['A\n#include "/etc/passwd"'] = 1)),
      ],
      String.raw`conv2D.h: defines["A\n#include \"/etc/passwd\""]: expected a C identifier`,
    );
    expect(existsSync(pwned)).toBe(false);
  });

  it('.incbin injection through a define name, a define value or a shape expression: refused, no /etc/passwd', () => {
    const inject =
      'PWN 1\n__attribute__((constructor)) static void pwn(void) { extern const char pwn_data[];' +
      ' extern int puts(const char *); puts(pwn_data); }\n' +
      '__asm__(".pushsection .rodata\\npwn_data: .incbin \\"/etc/passwd\\"\\n.byte 0\\n.popsection");\n' +
      '#define PWN_UNUSED';
    // --json: the firmware's output would be in "output" (without the fix it holds /etc/passwd).
    expectRefused(
      ['simulate', '--json', '--model', hostile((m) => (m.files['conv2D.h']!.defines[inject] = 1))],
      'conv2D.h: defines["PWN 1\\n__attribute__',
      'expected a C identifier',
    );
    expectRefused(
      [
        'simulate',
        '--json',
        '--model',
        hostile(
          (m) =>
            ((m.files['conv2D.h']!.defines as Record<string, unknown>).CBR1F_H =
              '0\nasm(".incbin \\"/etc/passwd\\"")'),
        ),
      ],
      'conv2D.h: defines.CBR1F_H: "0\\nasm(',
      'out of define range 0..65535',
    );
    expectRefused(
      [
        'simulate',
        '--json',
        '--model',
        hostile(
          (m) =>
            (m.files['rnn1.h']!.arrays.W1!.shapeExpr =
              '64]; __asm__(".incbin \\"/etc/passwd\\""); static const Q15_T X[64'),
        ),
      ],
      'rnn1.h: arrays.W1.shapeExpr: expected integers and define names joined by *',
    );
    // A name that is a C identifier but would shadow the kernels' types is not one the pipeline reads.
    expectRefused(
      ['simulate', '--model', hostile((m) => (m.files['conv2D.h']!.defines.Q15_T = 1))],
      'conv2D.h: defines.Q15_T: not a name rnnpool-face-m4 reads from conv2D.h',
    );
  });

  it('nothing from a model reaches the compiler command line: head shifts are small integers', () => {
    expectRefused(
      [
        'simulate',
        '--model',
        hostile(
          (m) => ((m.heads[0] as unknown as Record<string, unknown>).confShift = '12 -include /etc/passwd'),
        ),
      ],
      'heads[0].confShift: "12 -include /etc/passwd" out of shift range 0..30',
    );
    expectRefused(
      [
        'simulate',
        '--model',
        hostile((m) => ((m.heads[1] as unknown as Record<string, unknown>).cflags = ['-I/'])),
      ],
      'heads[1].cflags: unknown field',
    );
  });

  it('a syntax error gives the position only, never the file text (/etc/passwd as a model)', () => {
    const path = join(tmp, `hostile-${++serial}.model.json`);
    writeFileSync(path, 'root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n');
    const line = expectRefused(['simulate', '--model', path]);
    expect(line).toBe(
      `m4sim: hostile-${serial}.model.json: not valid JSON at line 1, column 1: unexpected character`,
    );
    writeFileSync(path, '{\n  "format": "m4sim-model",\n  "secret": [1, 2,, 3]\n}\n');
    expect(expectRefused(['simulate', '--model', path])).toBe(
      `m4sim: hostile-${serial}.model.json: not valid JSON at line 3, column 19: unexpected character`,
    );
  });

  it('a FIFO as the model file is refused at once (66), it does not block', () => {
    const fifo = join(tmp, 'model.fifo');
    const mk = spawnSync('mkfifo', [fifo]);
    expect(mk.status).toBe(0);
    const r = spawnSync(
      process.execPath,
      [join(projectRoot(), 'bin', 'm4sim.js'), 'simulate', '--model', fifo],
      {
        encoding: 'utf8',
        cwd: projectRoot(),
        timeout: 20_000,
      },
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(66);
    expect(r.stderr).toBe(`m4sim: model file ${fifo}: a FIFO, not a regular file\n`);
  });
});

describe('a model that does not build', () => {
  it('is a bad-input line (65) with the SRAM it needs against the board’s, not 70', () => {
    // Valid data, but two 128 KiB FastGRNN scratch buffers do not fit the 256 KiB SRAM with the arena.
    const path = hostile((m) => {
      for (const b of ['preComp21', 'preComp22']) m.files['rnn2.h']!.buffers[b]!.length = 65536;
    });
    const r = cli(['simulate', '--model', path]);
    expect(r.status).toBe(65);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    // Static RAM of the shipped model: 124,832 B (the detector tests); the two buffers grow from 16 to
    // 65,536 Q15 values each: 124,832 + 2 × (131,072 - 32) = 386,912 B, plus the 6 KiB stack reserve.
    expect(lines[0]).toBe(
      'm4sim: detector firmware for face-m4-synthetic does not fit board m4-256k: needs 393,056 B of SRAM (static 386,912 + stack reserve 6,144), the board has 262,144 B',
    );
  });
});

describe('hostile models through m4sim check', () => {
  it('the scenario is an ERROR row with the one-line refusal; nothing is written; check exits 1', () => {
    const dir = mkdtempSync(join(tmp, 'scenario-'));
    const target = join(dir, 'escaped.h');
    const model = hostile((m) => {
      m.files[climbTo(target)] = EMPTY_HEADER as never;
    });
    writeFileSync(
      join(dir, 'hostile.yaml'),
      `description: a hostile model\nfirmware:\n  detector: { model: ${model} }\nboard: m4-256k\n`,
    );
    const before = buildDirs();
    const r = cli(['check', join(dir, 'hostile.yaml'), '--jobs', '1']);
    expect(r.status).toBe(1);
    const errors = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('ERROR'));
    expect(errors.length).toBeGreaterThan(0);
    expect(r.stdout + r.stderr).toMatch(
      /hostile-\d+\.model\.json: files\["\.\.\/\.\.\/[^\n]*: not a header of rnnpool-face-m4/,
    );
    expect(existsSync(target)).toBe(false);
    expect(newBuildDirs(before)).toEqual([]);
  });
});

describe('model import-edgeml takes untrusted input too', () => {
  const shared = '/work/shared/models/edgeml/q_scut_head_b_face3_model.json';

  it('refuses a traversal header, a shell-text model name and non-JSON with one line (65)', (ctx) => {
    if (!existsSync(shared)) {
      console.log(`skipped: ${shared} not present`);
      ctx.skip();
      return;
    }
    const src = JSON.parse(readFileSync(shared, 'utf8')) as {
      model: unknown;
      files: Record<string, unknown>;
    };
    const out = join(tmp, 'imported.model.json');
    const run = (json: string): ReturnType<typeof cli> => {
      const path = join(tmp, `hostile-${++serial}.model.json`);
      writeFileSync(path, json);
      return cli(['model', 'import-edgeml', path, '-o', out]);
    };
    const bad1 = structuredClone(src);
    bad1.files[`../../m4sim-import-${process.pid}.h`] = EMPTY_HEADER;
    let r = run(JSON.stringify(bad1));
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(
      /^m4sim: hostile-\d+\.model\.json: files\["\.\.\/\.\.\/m4sim-import-\d+\.h"\]: expected a header name like mbconv1\.h\n$/,
    );
    const bad2 = structuredClone(src);
    bad2.model = 'x\n#!/bin/sh\nrm -rf /';
    r = run(JSON.stringify(bad2));
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(
      /^m4sim: hostile-\d+\.model\.json: model: expected a name of 1 to 64 letters[^\n]*\n$/,
    );
    r = run('root:x:0:0:root:/root:/bin/bash\n');
    expect(r.status).toBe(65);
    expect(r.stderr).toMatch(
      /^m4sim: .*hostile-\d+\.model\.json: not valid JSON at line 1, column 1: unexpected character\n$/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('what a valid model may contain', () => {
  const shipped = [
    SYNTHETIC,
    ...['face2', 'face3'].map((f) => join(projectRoot(), 'models', 'edgeml', `${f}.model.json`)),
  ];
  it('every shipped model loads, validates, and names exactly its architecture’s headers', () => {
    for (const path of shipped) {
      const m = loadModel(path);
      expect(Object.keys(m.files)).toEqual(architectureNamed(m.architecture).headers.map((r) => r.header));
    }
  });

  it('the shared EdgeML files import and pass the same validation', (ctx) => {
    const dir = '/work/shared/models/edgeml';
    if (!existsSync(dir)) {
      ctx.skip();
      return;
    }
    for (const f of ['q_scut_head_b_face2_model.json', 'q_scut_head_b_face3_model.json']) {
      const m = importEdgeML(JSON.parse(readFileSync(join(dir, f), 'utf8')), f);
      expect(parseModel(m, f)).toBe(m);
    }
  });

  const rejects = (mutate: (m: Mutable) => void, message: string): void => {
    const m = JSON.parse(JSON.stringify(base)) as Mutable;
    mutate(m);
    expect(() => parseModel(m, 'x.model.json')).toThrow(ModelError);
    expect(() => parseModel(m, 'x.model.json')).toThrow(message);
  };

  it('refuses reserved and duplicate names, out-of-range numbers and unbounded sizes', () => {
    rejects(
      (m) => (m.files['rnn1.h']!.buffers.__proto__x = { ctype: 'Q15_T', length: 1 }),
      'reserved for the C implementation',
    );
    rejects(
      (m) => (m.files['rnn1.h']!.buffers.m4sim_output = { ctype: 'Q15_T', length: 1 }),
      "reserved for m4sim's own",
    );
    rejects((m) => (m.files['rnn1.h']!.buffers.int = { ctype: 'Q15_T', length: 1 }), 'a C keyword');
    rejects(
      (m) => (m.files['rnn2.h']!.buffers.preComp11 = { ctype: 'Q15_T', length: 16 }),
      'preComp11 is already declared in rnn1.h',
    );
    rejects(
      (m) => (m.files['rnn1.h']!.buffers.spare = { ctype: 'Q15_T', length: 16 }),
      'rnn1.h: buffers.spare: no struct of the header points to it',
    );
    rejects((m) => (m.files['conv2D.h']!.defines.CBR1F_H = 1e300), '1e+300 out of define range 0..65535');
    rejects(
      (m) => (m.files['rnn1.h']!.buffers.preComp11!.length = 1 << 20),
      'out of buffer length range 1..65536',
    );
    rejects(
      (m) => (m.files['rnn1.h']!.arrays.W1!.shape = [1 << 20, 1 << 20]),
      'shape gives 1099511627776 values, more than 1048576',
    );
    rejects(
      (m) => ((m.files['rnn1.h']!.scalars.ShR1 as unknown as Record<string, unknown>).ctype = 'toString'),
      'rnn1.h: scalars.ShR1: unknown ctype "toString"',
    );
    rejects(
      (m) =>
        ((m.files['rnn1.h']!.structs.RNN1_PARAMS as unknown as Record<string, unknown>).ctype =
          'constructor'),
      'unknown struct ctype "constructor"',
    );
    rejects((m) => (m.input.width = 1 << 30), 'input.width: must be 320');
    rejects((m) => {
      let deep: unknown = 1;
      for (let i = 0; i < 100_000; i++) deep = [deep];
      m.provenance = { deep };
    }, 'provenance: nested more than 16 deep');
    rejects((m) => {
      const grow = m.files['mbconv1.h']!.defines;
      grow.L1_H = 65535;
      grow.L1_W = 65535;
    }, 'mbconv1.h: defines: the input is 65535x65535x');
  });

  it('codegen re-validates and writes only inside its folder', () => {
    const m = JSON.parse(JSON.stringify(base)) as Mutable;
    const target = join(tmp, 'codegen-escape.h');
    m.files[climbTo(target)] = EMPTY_HEADER as never;
    const out = join(tmp, 'gen');
    expect(() => generateHeaders(m, out)).toThrow(/not a header of rnnpool-face-m4/);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(out)).toBe(false);
  });

  it('compileFirmware refuses a define name that is not a C identifier before running gcc', () => {
    const opts = {
      sources: [join(projectRoot(), 'firmware', 'board', 'startup.c')],
      output: join(tmp, 'never.elf'),
      defines: { 'X\n#include "/etc/passwd"': 1 },
    };
    expect(() => compileFirmware(opts)).toThrow(CompileError);
    expect(() => compileFirmware(opts)).toThrow(/^-D"X\\n#include \\"\/etc\/passwd.*: not a C identifier$/);
    expect(existsSync(opts.output)).toBe(false);
  });
});

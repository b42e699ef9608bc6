// `npm pack` makes a package that installs and runs elsewhere: packed from a copy of the working tree
// as a fresh clone has it (so this checkout's dist/ is not rebuilt under the other tests), installed
// into an empty project — which runs its preinstall (scripts/setup.mjs) and builds the native addon
// there — and run: `m4sim --version`, `m4sim simulate` on a test ELF, `m4sim check` on a shipped
// scenario that builds C from the package's own firmware/ files. Slow (a native build): a generous
// timeout, no timed assertion.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../src/util/paths.js';
import { buildTestFirmware, haveToolchain } from './helpers/firmware.js';

const ROOT = projectRoot();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment of npm and the installed m4sim: this run's npm_* variables left out. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^npm_/i.test(k) && k !== 'M4SIM_SKIP_SETUP' && k !== 'INIT_CWD') env[k] = v;
  }
  return env;
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, {
    cwd,
    env: cleanEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 900_000,
  });
}

/** The files a clone has: git's tracked and new (not ignored) files of the working tree. */
function cloneFiles(): string[] | null {
  const r = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) return null;
  return r.stdout.split('\0').filter((f) => f !== '');
}

const files = cloneFiles();
const haveNpm = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
const skipReason = !haveToolchain
  ? 'arm-none-eabi-gcc not found'
  : files === null
    ? 'not a git checkout (git ls-files failed): cannot tell which files a clone has'
    : !haveNpm
      ? 'npm not found'
      : null;
if (skipReason) console.log(`pack.test.ts skipped: ${skipReason}`);

// What ships (package.json "files", plus what npm always adds), and what must not.
const SHIPPED =
  /^(bin|dist|native|firmware\/(app|board|kernels)|boards|models|scenarios)\/|^(binding\.gyp|scripts\/setup\.mjs|package\.json|README\.md|LICENSE)$/;

describe.skipIf(skipReason !== null)('npm pack', () => {
  let tmp: string;
  let tarball: string;
  let packed: { path: string; size: number }[];
  let app: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'm4sim-pack-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('packs the files the package needs and nothing of the tests or builds', () => {
    // The clone: the working tree's files (symbolic links as links), with this checkout's
    // node_modules for the devDependencies that prepack's build needs (as after `npm ci`).
    const clone = join(tmp, 'clone');
    for (const f of files!) {
      const from = join(ROOT, f);
      if (!existsSync(from) && !isLink(from)) continue; // deleted in the working tree
      const to = join(clone, f);
      mkdirSync(dirname(to), { recursive: true });
      if (isLink(from)) symlinkSync(readlinkSync(from), to);
      else copyFileSync(from, to);
    }
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const dest = join(tmp, 'pack');
    mkdirSync(dest);
    const r = run('npm', ['pack', '--json', '--pack-destination', dest], clone);
    expect(r.stderr).not.toMatch(/npm (ERR|error)/);
    expect(r.status).toBe(0);
    // npm prints the prepack build's output before the JSON document.
    const info = (
      JSON.parse(r.stdout.slice(r.stdout.indexOf('\n[') + 1)) as {
        filename: string;
        files: { path: string; size: number }[];
      }[]
    )[0]!;
    tarball = join(dest, info.filename);
    packed = info.files;
    expect(info.filename).toBe(`m4sim-${VERSION}.tgz`);
    const paths = packed.map((f) => f.path);
    expect(paths.filter((p) => !SHIPPED.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.map'))).toEqual([]);
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/m4sim.js',
      'dist/cli/main.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/scenarios/parallel.js',
      'binding.gyp',
      'native/m4sim_native.cc',
      'scripts/setup.mjs',
      'firmware/app/main.c',
      'firmware/kernels/conv.c',
      'firmware/board/startup.c',
      'firmware/board/m4-256k.ld',
      'firmware/board/sections.ld',
      'boards/m4-256k.json',
      'models/face-m4-synthetic.model.json',
      'models/edgeml/LICENSE.txt',
      'scenarios/images/astronaut-320x240.png',
      'scenarios/hello-elf.yaml',
      'scenarios/hello/hello.c',
    ])
      expect(paths).toContain(needed);
    // Every tracked firmware source ships (the detector build compiles them where m4sim is installed).
    for (const f of files!.filter((p) => /^firmware\/(app|board|kernels)\//.test(p)))
      expect(paths).toContain(f);
    // Nothing the clone's build made besides dist/ (firmware/build, build/ of node-gyp): not shipped.
    expect(paths.filter((p) => /^(firmware\/build|build|test|src|xpacks)\//.test(p))).toEqual([]);
  }, 600_000);

  it('installs into an empty project (preinstall, native addon) and runs there', () => {
    app = join(tmp, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{ "name": "m4sim-pack-test", "private": true }\n');
    // The registry is reachable in CI; --prefer-offline takes the dependencies from npm's cache when it has them.
    const i = run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
    if (i.status !== 0) console.log(i.stdout, i.stderr);
    expect(i.status).toBe(0);
    const installed = join(app, 'node_modules', 'm4sim');
    expect(existsSync(join(installed, 'build', 'Release', 'm4sim_native.node'))).toBe(true);
    const m4sim = join(app, 'node_modules', '.bin', 'm4sim');

    const v = run(m4sim, ['--version'], app);
    expect(v.stdout).toBe(`m4sim ${VERSION}\n`);
    expect(v.status).toBe(0);

    // test/firmware/hello.c: two printf lines (answer 42, ratio 3.25), then exit(3).
    const elf = buildTestFirmware('hello');
    const s = run(m4sim, ['simulate', elf], app);
    expect(s.stdout).toBe('hello from the M4\nanswer = 42, ratio = 3.25\n');
    expect(s.stderr.split('\n')[0]).toBe(`m4sim: ${elf} on m4-256k`);
    expect(s.status).toBe(3);

    // The shipped scenario builds hello.c with the package's start-up code and linker scripts.
    const c = run(m4sim, ['check', join(installed, 'scenarios', 'hello-elf.yaml'), '--jobs', '1'], app);
    expect(c.stdout).toMatch(/^hello-elf +exit +3 +3 +ok$/m);
    expect(c.stdout).toMatch(/^ok: 1\/1 scenarios within budget$/m);
    expect(c.status).toBe(0);
  }, 900_000);
});

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

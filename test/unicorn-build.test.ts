// Building against a Unicorn of one's own (README "Engine"): binding.gyp takes Unicorn from
// pkg-config, so PKG_CONFIG_PATH naming another install's unicorn.pc builds the addon against it,
// and its run path makes the dynamic linker load that install's library rather than Debian's.
// The "own" install here is a copy of the library the addon loads now, in a folder of its own with
// its own unicorn.pc: versions() must then report that folder's file. Slow (a native build): no
// timed assertion.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native, type NativeVersions } from '../src/emulator/native.js';
import { projectRoot } from '../src/util/paths.js';

const ROOT = projectRoot();
const nodeGyp = join(
  dirname(process.execPath),
  '..',
  'lib',
  'node_modules',
  'npm',
  'node_modules',
  'node-gyp',
  'bin',
  'node-gyp.js',
);
const includeDir = spawnSync('pkg-config', ['--variable=includedir', 'unicorn'], { encoding: 'utf8' });
const nodedir = spawnSync('npm', ['config', 'get', 'nodedir'], { encoding: 'utf8' }).stdout?.trim() ?? '';
const haveGpp = spawnSync('g++', ['--version']).status === 0;
const missing = !existsSync(nodeGyp)
  ? `node-gyp not found at ${nodeGyp}`
  : includeDir.status !== 0
    ? 'pkg-config finds no unicorn'
    : !haveGpp
      ? 'g++ not installed'
      : null;
if (missing) console.log(`unicorn-build.test.ts: skipped: ${missing}`);

const work = mkdtempSync(join(tmpdir(), 'm4sim-unicorn-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(missing !== null)('an addon built against the Unicorn a pkg-config path names', () => {
  it('loads that Unicorn, and versions() says which file and version', () => {
    const loaded = native().versions();
    expect(loaded.unicornLibrary).toMatch(/libunicorn\.so\.2$/);
    // The own install: lib/ with the library, include/unicorn/ with its headers, lib/pkgconfig.
    const prefix = join(work, 'unicorn-own');
    mkdirSync(join(prefix, 'lib', 'pkgconfig'), { recursive: true });
    mkdirSync(join(prefix, 'include'), { recursive: true });
    copyFileSync(loaded.unicornLibrary!, join(prefix, 'lib', basename(loaded.unicornLibrary!)));
    symlinkSync(basename(loaded.unicornLibrary!), join(prefix, 'lib', 'libunicorn.so'));
    cpSync(join(includeDir.stdout.trim(), 'unicorn'), join(prefix, 'include', 'unicorn'), {
      recursive: true,
    });
    writeFileSync(
      join(prefix, 'lib', 'pkgconfig', 'unicorn.pc'),
      [
        `prefix=${prefix}`,
        'libdir=${prefix}/lib',
        'includedir=${prefix}/include',
        'Name: unicorn',
        'Description: Unicorn built by its user',
        `Version: ${loaded.unicornVersion}`,
        'Libs: -L${libdir} -lunicorn',
        'Cflags: -I${includedir}',
        '',
      ].join('\n'),
    );
    // The package's addon sources, built as `npm install` builds them, with PKG_CONFIG_PATH set.
    const pkg = join(work, 'pkg');
    mkdirSync(join(pkg, 'native'), { recursive: true });
    copyFileSync(join(ROOT, 'binding.gyp'), join(pkg, 'binding.gyp'));
    copyFileSync(join(ROOT, 'native', 'm4sim_native.cc'), join(pkg, 'native', 'm4sim_native.cc'));
    symlinkSync(join(ROOT, 'node_modules'), join(pkg, 'node_modules'));
    const build = spawnSync(
      process.execPath,
      [nodeGyp, 'configure', 'build', ...(nodedir && existsSync(nodedir) ? [`--nodedir=${nodedir}`] : [])],
      {
        cwd: pkg,
        env: { ...process.env, PKG_CONFIG_PATH: join(prefix, 'lib', 'pkgconfig') },
        encoding: 'utf8',
        timeout: 600_000,
      },
    );
    expect(build.status, build.stderr).toBe(0);
    // In a process of its own: this one has a libunicorn.so.2 loaded already, which the dynamic
    // linker would reuse for the new addon whatever its run path says.
    const probe = spawnSync(
      process.execPath,
      [
        '-e',
        `console.log(JSON.stringify(require(${JSON.stringify(join(pkg, 'build', 'Release', 'm4sim_native.node'))}).versions()))`,
      ],
      { encoding: 'utf8' },
    );
    expect(probe.status, probe.stderr).toBe(0);
    const v = JSON.parse(probe.stdout) as NativeVersions;
    expect(v.unicornLibrary).toBe(join(prefix, 'lib', basename(loaded.unicornLibrary!)));
    expect(v.unicornVersion).toBe(loaded.unicornVersion);
    expect(v.unicornHeaders).toBe(loaded.unicornHeaders);
  }, 900_000);
});

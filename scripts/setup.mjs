#!/usr/bin/env node
// Installs the system packages m4sim needs when they are missing: Debian's arm-none-eabi-gcc and
// newlib (to build firmware), libunicorn-dev and libcapstone-dev (linked by the native addon), a
// C++ toolchain for node-gyp, and for the tests only Debian's chromium (the tests open the HTML report
// in it), qemu-system-arm (the exception tests compare with QEMU), picolibc-arm-none-eabi (the heap
// tests build picolibc firmware) and gdb-multiarch (the GDB server tests drive it). As root it runs
// apt-get; otherwise it prints the exact command.
// Runs as npm's preinstall (so `npm ci`, and `npm install m4sim` in another project, build the addon
// against what it installed; there it needs nothing of a git checkout and no devDependencies) and
// before `npm test` / `npm run demo`. Set M4SIM_SKIP_SETUP=1 to skip it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

if (process.env.M4SIM_SKIP_SETUP === '1') process.exit(0);

function ok(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.status === 0;
}

function haveCompiler() {
  const env = process.env.ARM_NONE_EABI_GCC;
  if (env && existsSync(env)) return true;
  if (ok('arm-none-eabi-gcc', ['--version'])) return true;
  return existsSync(join(process.cwd(), 'xpacks', '.bin', 'arm-none-eabi-gcc'));
}

function haveNewlib() {
  // rdimon.specs comes with newlib; the xPack toolchain bundles it, Debian ships it separately.
  const gcc = process.env.ARM_NONE_EABI_GCC || 'arm-none-eabi-gcc';
  const r = spawnSync(gcc, ['-print-file-name=rdimon.specs'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== 'rdimon.specs' && existsSync(r.stdout.trim());
}

const missing = [];
if (!haveCompiler()) missing.push('gcc-arm-none-eabi', 'libnewlib-arm-none-eabi');
else if (!haveNewlib()) missing.push('libnewlib-arm-none-eabi');
if (!ok('pkg-config', ['--version'])) missing.push('pkg-config');
if (!ok('pkg-config', ['--exists', 'unicorn'])) missing.push('libunicorn-dev');
if (!ok('pkg-config', ['--exists', 'capstone'])) missing.push('libcapstone-dev');
if (!ok('g++', ['--version'])) missing.push('g++');
if (!ok('make', ['--version'])) missing.push('make');
if (!ok('python3', ['--version'])) missing.push('python3');
// What only the tests use: not for `npm run demo`, nor for an install (preinstall), which also runs
// where m4sim is installed as a package and has no tests.
const forTests = !['demo', 'preinstall'].includes(process.env.npm_lifecycle_event ?? '');
// Debian's Chromium, for the HTML report test in a headless browser (test/report-browser.test.ts).
if (forTests && !existsSync('/usr/bin/chromium')) missing.push('chromium');
// Debian's QEMU, the independent oracle for the exception test firmwares (test/exceptions-qemu.test.ts).
if (forTests && !existsSync('/usr/bin/qemu-system-arm')) missing.push('qemu-system-arm');
// Debian's picolibc, the second C library the heap tests link firmware with (test/heap.test.ts).
if (forTests && !existsSync('/usr/lib/picolibc/arm-none-eabi/picolibc.specs'))
  missing.push('picolibc-arm-none-eabi');
// Debian's gdb-multiarch, the real client the GDB server is tested with (test/gdb.test.ts).
if (forTests && !existsSync('/usr/bin/gdb-multiarch')) missing.push('gdb-multiarch');

if (missing.length === 0) {
  ensureNodeModules();
  process.exit(0);
}

/**
 * `npm test` and `npm run demo` on a fresh clone: install the npm dependencies and build the native
 * addon (npm ci) when that has not happened yet. Not during npm's own install (preinstall).
 */
function ensureNodeModules() {
  if (process.env.npm_lifecycle_event === 'preinstall') return;
  const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
  const installed = existsSync(join(root, 'node_modules', '.package-lock.json'));
  const addon = existsSync(join(root, 'build', 'Release', 'm4sim_native.node'));
  if (installed && addon) return;
  console.error('m4sim: installing npm dependencies and building the native addon (npm ci)');
  const r = spawnSync('npm', ['ci'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('m4sim: npm ci failed');
    process.exit(1);
  }
}

const packages = [...new Set(missing)];
const command = `apt-get install -y ${packages.join(' ')}`;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot) {
  console.error(`m4sim: missing system packages; run: sudo apt-get update && sudo ${command}`);
  process.exit(1);
}
console.error(`m4sim: installing ${packages.join(', ')} with apt-get`);
try {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...packages], { stdio: 'inherit', env });
} catch {
  console.error(`m4sim: apt-get failed; run: apt-get update && ${command}`);
  process.exit(1);
}
ensureNodeModules();

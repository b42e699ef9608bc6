// Finds arm-none-eabi-gcc and builds Cortex-M4 firmware with it, skipping builds whose inputs and
// flags have not changed (content hashes, stored next to the ELF).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  accessSync,
  constants as fsConstants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, delimiter, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { isInside, projectRoot } from '../util/paths.js';
import { UnavailableError } from '../util/units.js';

export { projectRoot };

export interface Toolchain {
  gcc: string;
  objcopy: string;
  size?: string;
  /** `gcc -dumpfullversion`, e.g. "12.2.1". */
  version: string;
  /** Where it was found: $ARM_NONE_EABI_GCC, PATH, <projectRoot>/xpacks/.bin or Debian's /usr/bin. */
  source: 'env' | 'path' | 'xpack' | 'debian';
}

export const GCC_NAME = 'arm-none-eabi-gcc';
export const INSTALL_HINT = 'apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi';

/** Flags every firmware build gets, before the caller's cflags (so a later -O0 wins). */
export const FIRMWARE_FLAGS: readonly string[] = [
  '-mcpu=cortex-m4',
  '-mthumb',
  '-mfloat-abi=hard',
  '-mfpu=fpv4-sp-d16',
  '-O2',
  '-g',
  '-fstack-usage',
  '-ffunction-sections',
  '-fdata-sections',
  '-Wl,--gc-sections',
];

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/**
 * Another binutils program of the toolchain `gcc` belongs to (`objcopy`, `size`, `readelf`, `nm`, …):
 * next to gcc (also next to its symlink target), then `arm-none-eabi-NAME` on PATH; null if none.
 */
export function siblingTool(gcc: string, name: string): string | null {
  const base = basename(gcc).replace(/gcc(-[0-9.]+)?(\.exe)?$/, `${name}$2`);
  const dirs = [dirname(gcc)];
  try {
    dirs.push(dirname(realpathSync(gcc)));
  } catch {
    // a dangling link: the PATH lookup below may still work
  }
  for (const dir of dirs) {
    const candidate = join(dir, base);
    if (isExecutable(candidate)) return candidate;
  }
  return onPath(`arm-none-eabi-${name}`);
}

function probe(gcc: string, source: Toolchain['source']): Toolchain | null {
  if (!isExecutable(gcc)) return null;
  const r = spawnSync(gcc, ['-dumpfullversion'], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return null;
  const objcopy = siblingTool(gcc, 'objcopy');
  if (objcopy === null) return null;
  const size = siblingTool(gcc, 'size');
  return { gcc, objcopy, ...(size ? { size } : {}), version: r.stdout.trim(), source };
}

let cache: { key: string; value: Toolchain | null } | undefined;

/**
 * The first usable arm-none-eabi-gcc of: $ARM_NONE_EABI_GCC (when set, it is the only candidate),
 * `arm-none-eabi-gcc` on PATH, <projectRoot>/xpacks/.bin, /usr/bin. Null when there is none.
 */
export function findToolchain(): Toolchain | null {
  const env = process.env.ARM_NONE_EABI_GCC;
  const key = `${env ?? ''}\0${process.env.PATH ?? ''}`;
  if (cache?.key === key) return cache.value;
  let value: Toolchain | null;
  if (env) {
    value = probe(resolve(env), 'env');
  } else {
    const fromPath = onPath(GCC_NAME);
    value = fromPath === null ? null : probe(fromPath, 'path');
    if (!value) {
      try {
        value = probe(join(projectRoot(), 'xpacks', '.bin', GCC_NAME), 'xpack');
      } catch {
        value = null; // not inside the m4sim package
      }
    }
    if (!value) value = probe(`/usr/bin/${GCC_NAME}`, 'debian');
  }
  cache = { key, value };
  return value;
}

/** findToolchain(), or an Error whose one-line message says what to install. */
export function requireToolchain(): Toolchain {
  const tc = findToolchain();
  if (tc) return tc;
  const env = process.env.ARM_NONE_EABI_GCC;
  if (env) {
    throw new UnavailableError(
      `ARM_NONE_EABI_GCC=${env} is not a working ${GCC_NAME} (or its objcopy is missing); fix or unset it, or run: ${INSTALL_HINT}`,
    );
  }
  throw new UnavailableError(
    `${GCC_NAME} not found (PATH, xpacks/.bin, /usr/bin); install it with: ${INSTALL_HINT}`,
  );
}

export interface CompileOptions {
  /** C, C++ or assembly sources, objects or archives, compiled and linked in one gcc run. */
  sources: string[];
  /** The ELF to write; the map goes next to it (NAME.map for NAME.elf). */
  output: string;
  linkerScript?: string;
  /** Passed as --specs=…, e.g. ['rdimon.specs']. */
  specs?: string[];
  /** -DNAME=value; `true` gives -DNAME, `false` leaves it out. */
  defines?: Record<string, string | number | boolean>;
  includeDirs?: string[];
  cflags?: string[];
  ldflags?: string[];
  /** Default: requireToolchain(). */
  toolchain?: Toolchain;
  /** Build even when the inputs are unchanged. */
  force?: boolean;
  /**
   * Folders the build may read files from, besides the toolchain's own (its include and library
   * folders): when set, every file the preprocessor, the assembler (`.incbin`, `.include`) and the
   * linker read is checked after the run, and a build that read anything else is refused and its
   * output removed — for sources that are untrusted input (a scenario's C project).
   */
  confineTo?: string[];
}

export interface CompileResult {
  elf: string;
  map: string;
  /** GCC's -fstack-usage files, one per compiled source: `<output>-<source base name>.su`. */
  stackUsage: string[];
  /** True when the inputs hash matched the stored one and gcc did not run. */
  skipped: boolean;
  /** What gcc printed besides the include trace (warnings); empty when skipped. */
  warnings: string[];
}

/** A failed build: `message` is the first error line; `stderr` has everything gcc said. */
export class CompileError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
    readonly command: string[],
  ) {
    super(message);
    this.name = 'CompileError';
  }
}

interface Stamp {
  hash: string;
  /** Files gcc read besides sources and linker script (from -H), hashed on the next build. */
  deps: string[];
}

const COMPILED = new Set(['.c', '.cc', '.cpp', '.cxx', '.s', '.S', '.sx']);
const HEADER = /\.(h|hh|hpp|hxx|inc|def)$/i;

function fileDigest(path: string): string {
  try {
    return createHash('sha256').update(readFileSync(path)).digest('hex');
  } catch {
    return 'missing';
  }
}

/** Headers under the include directories (bounded walk), so a new shadowing header triggers a build. */
function headersIn(dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8 || out.length > 5000) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(dir, e.name);
      // Only folders and regular files: a FIFO named x.h would block the hashing read forever.
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && HEADER.test(e.name)) out.push(p);
    }
  };
  for (const d of dirs) walk(d, 0);
  return out;
}

function inputsHash(tc: Toolchain, args: string[], files: string[]): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ gcc: tc.gcc, version: tc.version, args }));
  for (const f of [...new Set(files)].sort()) h.update(`\0${f}\0${fileDigest(f)}`);
  return h.digest('hex');
}

function readStamp(path: string): Stamp | null {
  try {
    const s = JSON.parse(readFileSync(path, 'utf8')) as Stamp;
    return typeof s.hash === 'string' && Array.isArray(s.deps) ? s : null;
  } catch {
    return null;
  }
}

/** Splits gcc's stderr into the -H include trace and the diagnostics. */
function splitIncludeTrace(stderr: string, cwd: string): { deps: string[]; diagnostics: string[] } {
  const deps: string[] = [];
  const diagnostics: string[] = [];
  let guardList = false;
  for (const line of stderr.split('\n')) {
    const m = /^\.+ (.+)$/.exec(line);
    if (m) {
      deps.push(resolve(cwd, m[1]!));
      guardList = false;
    } else if (line.startsWith('Multiple include guards may be useful for:')) {
      guardList = true;
    } else if (guardList && line !== '' && !line.includes(': ')) {
      // a file name of that list
    } else {
      guardList = false;
      if (line.trim() !== '') diagnostics.push(line);
    }
  }
  return { deps, diagnostics };
}

function firstErrorLine(lines: string[]): string | undefined {
  const patterns = [
    /\b(fatal )?error:/,
    /undefined reference|multiple definition|overflowed by|will not fit in region|cannot find -l|No such file/,
  ];
  for (const re of patterns) {
    const hit = lines.find((l) => re.test(l) && !l.startsWith('collect2'));
    if (hit) return hit.trim();
  }
  return lines.find((l) => !l.startsWith('collect2'))?.trim() ?? lines[0]?.trim();
}

function stackUsageFiles(output: string, sources: string[]): string[] {
  return sources
    .filter((s) => COMPILED.has(extname(s)) || COMPILED.has(extname(s).toLowerCase()))
    .map((s) => `${output}-${basename(s, extname(s))}.su`)
    .filter((f) => existsSync(f));
}

/** The linker script and the other *.ld files beside it, which it may INCLUDE. */
function linkerScripts(script: string | undefined): string[] {
  if (!script) return [];
  const dir = dirname(script);
  const others = readdirSync(dir)
    .filter((f) => f.endsWith('.ld'))
    .map((f) => join(dir, f))
    .filter((f) => f !== script)
    .sort();
  return [script, ...others];
}

const searchDirs = new Map<string, string[]>();

/**
 * The folders a toolchain reads from on its own, as real paths: its `#include <…>` search list
 * (`gcc -v -E`) and its install and library folders (`gcc -print-search-dirs`).
 */
function toolchainDirs(tc: Toolchain): string[] {
  const known = searchDirs.get(tc.gcc);
  if (known) return known;
  const dirs: string[] = [];
  const e = spawnSync(tc.gcc, ['-xc', '-E', '-v', '-'], { input: '', encoding: 'utf8', timeout: 30_000 });
  const lines = (typeof e.stderr === 'string' ? e.stderr : '').split('\n');
  const start = lines.findIndex((l) => l.startsWith('#include <...> search starts here:'));
  for (const l of start < 0 ? [] : lines.slice(start + 1)) {
    if (!l.startsWith(' ')) break;
    dirs.push(l.trim());
  }
  const p = spawnSync(tc.gcc, ['-print-search-dirs'], { encoding: 'utf8', timeout: 30_000 });
  for (const l of (typeof p.stdout === 'string' ? p.stdout : '').split('\n')) {
    const m = /^(install|libraries): =?(.*)$/.exec(l);
    if (m) dirs.push(...m[2]!.split(delimiter).filter((d) => d !== ''));
  }
  const real = [
    ...new Set(
      dirs.flatMap((d) => {
        try {
          return [realpathSync(d)];
        } catch {
          return []; // gcc lists folders that need not exist
        }
      }),
    ),
  ];
  searchDirs.set(tc.gcc, real);
  return real;
}

/** The file names of a make-style dependency file (`out.o: a.c b.h \`), targets left out. */
function dependencyFileNames(text: string): string[] {
  const out: string[] = [];
  const joined = text.replace(/\\\r?\n/g, ' ');
  for (const token of joined.match(/(?:\\.|[^\s])+/g) ?? []) {
    if (token.endsWith(':')) continue;
    out.push(token.replace(/\\(.)/g, '$1').replace(/\$\$/g, '$'));
  }
  return out;
}

/**
 * The files a confined build read — `traced` from the preprocessor's -H trace, plus the make-style
 * dependency files `depFiles` of the assembler and the linker (relative names are gcc's working
 * folder's, `workDir`) — and the first outside `allowed` (real paths), or null. The files read are
 * hashed with the headers for the next build (an `.incbin` file too).
 */
function confinedReads(
  traced: string[],
  depFiles: string[],
  workDir: string,
  allowed: string[],
): { outside: string | null; read: string[] } {
  const files = [...traced];
  for (const f of depFiles) {
    if (existsSync(f)) files.push(...dependencyFileNames(readFileSync(f, 'utf8')));
  }
  const read: string[] = [];
  for (const f of files) {
    const path = resolve(workDir, f);
    if (isInside(workDir, path)) continue; // gcc's own temporary files
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      continue;
    }
    if (!allowed.some((d) => isInside(d, real))) return { outside: real, read };
    read.push(path);
  }
  return { outside: null, read };
}

/**
 * A spec GCC reads with --specs: the assembler writes the files it read (`.incbin`, `.include`) to
 * `%b.asdeps`, which with -dumpdir is `<output>-<source base name>.asdeps`, beside the .su files.
 */
const ASSEMBLER_DEPS_SPEC = '*asm:\n+ --MD %b.asdeps\n\n';

/**
 * Compiles and links firmware for the Cortex-M4 (FIRMWARE_FLAGS, -Wl,-Map=<map>) in one gcc run.
 * Skipped when the stored hash of flags, toolchain, sources, linker script, include-directory
 * headers and every header the last build read (for a confined build: every file the assembler and
 * linker read too) still matches. Throws CompileError on failure.
 */
export function compileFirmware(opts: CompileOptions): CompileResult {
  const tc = opts.toolchain ?? requireToolchain();
  const cwd = process.cwd();
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const elf = abs(opts.output);
  const map = elf.replace(/\.elf$/i, '') + '.map';
  const stampPath = `${elf}.inputs.json`;
  const sources = opts.sources.map(abs);
  const linkerScript = opts.linkerScript ? abs(opts.linkerScript) : undefined;
  const includeDirs = (opts.includeDirs ?? []).map(abs);

  // Each -D is one argv element starting with -D, so no define can become another flag; a name must
  // still be a C identifier and a value one line (GCC truncates a definition at a newline).
  for (const [k, v] of Object.entries(opts.defines ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
      throw new CompileError(`-D${JSON.stringify(k).slice(0, 40)}: not a C identifier`, '', []);
    }
    if (typeof v === 'string' && /[\0\r\n]/.test(v)) {
      throw new CompileError(`-D${k}: the value must be one line`, '', []);
    }
  }
  const defines = Object.entries(opts.defines ?? {})
    .filter(([, v]) => v !== false)
    .map(([k, v]) => (v === true ? `-D${k}` : `-D${k}=${v}`));
  // The command without its output names: what the hash covers.
  const args = [
    ...FIRMWARE_FLAGS,
    ...defines,
    ...includeDirs.map((d) => `-I${d}`),
    ...(opts.cflags ?? []),
    ...(opts.specs ?? []).map((s) => `--specs=${s}`),
    ...sources,
    // -L: a linker script may INCLUDE its neighbours (firmware/board/sections.ld).
    ...(linkerScript ? ['-T', linkerScript, `-Wl,-L,${dirname(linkerScript)}`] : []),
    ...(opts.ldflags ?? []),
  ];
  const fixedInputs = [...sources, ...linkerScripts(linkerScript), ...headersIn(includeDirs)];

  const previous = readStamp(stampPath);
  if (!opts.force && previous && existsSync(elf) && existsSync(map)) {
    if (inputsHash(tc, args, [...fixedInputs, ...previous.deps]) === previous.hash) {
      return { elf, map, stackUsage: stackUsageFiles(elf, sources), skipped: true, warnings: [] };
    }
  }

  mkdirSync(dirname(elf), { recursive: true });
  const tmpElf = `${elf}.tmp-${process.pid}`;
  const tmpMap = `${map}.tmp-${process.pid}`;
  // -dumpdir keeps the .su names those of the final output; -H lists the headers read.
  const command = [...args, `-Wl,-Map=${tmpMap}`, '-o', tmpElf, '-dumpdir', `${elf}-`, '-H'];
  // A confined build runs in a folder of its own, which also holds gcc's temporary files (TMPDIR) and
  // the dependency files of the assembler (a spec of ours) and of the linker (ld --dependency-file).
  const workDir = opts.confineTo ? `${elf}.work-${process.pid}` : null;
  let env = process.env;
  if (workDir) {
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir);
    writeFileSync(join(workDir, 'deps.specs'), ASSEMBLER_DEPS_SPEC);
    command.push(
      `--specs=${join(workDir, 'deps.specs')}`,
      `-Wl,--dependency-file=${join(workDir, 'ld.deps')}`,
    );
    env = { ...process.env, TMPDIR: workDir };
  }
  const runDir = workDir ?? cwd;
  const r = spawnSync(tc.gcc, command, {
    cwd: runDir,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: 600_000,
  });
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  const { deps, diagnostics } = splitIncludeTrace(stderr, runDir);
  let otherReads: string[] = [];
  if (workDir) {
    const allowed = [
      ...opts.confineTo!.map((d) => realpathSync(d)),
      ...toolchainDirs(tc),
      realpathSync(workDir),
    ];
    const asDeps = sources.map((f) => `${elf}-${basename(f, extname(f))}.asdeps`);
    const { outside, read } = confinedReads(deps, [...asDeps, join(workDir, 'ld.deps')], workDir, allowed);
    otherReads = read;
    rmSync(workDir, { recursive: true, force: true });
    for (const f of asDeps) rmSync(f, { force: true });
    if (outside !== null) {
      // Whether gcc succeeded or not: its messages could quote what it read.
      rmSync(tmpElf, { force: true });
      rmSync(tmpMap, { force: true });
      throw new CompileError(
        `the build read ${outside}, outside the project's folder and the toolchain's`,
        '',
        [tc.gcc, ...command],
      );
    }
  }
  if (r.status !== 0 || !existsSync(tmpElf)) {
    rmSync(tmpElf, { force: true });
    rmSync(tmpMap, { force: true });
    let message =
      firstErrorLine(diagnostics) ??
      (r.error ? `${GCC_NAME} failed: ${r.error.message}` : `${GCC_NAME} exited with status ${r.status}`);
    // The linker names itself by its full path and the output by its temporary name: say `ld` and
    // the ELF being built, so that the line is short and the same on every run.
    message = message
      .replace(/^\S*\bld(\.bfd)?: /, 'ld: ')
      .split(tmpElf)
      .join(elf);
    if (/spec file '(rdimon|nosys|nano)\.specs'/.test(message))
      message += ` (install newlib: ${INSTALL_HINT})`;
    throw new CompileError(message, diagnostics.join('\n'), [tc.gcc, ...command]);
  }
  renameSync(tmpElf, elf);
  if (existsSync(tmpMap)) renameSync(tmpMap, map);
  else writeFileSync(map, '');

  const depList = [...new Set([...deps, ...otherReads])].sort();
  const stamp: Stamp = { hash: inputsHash(tc, args, [...fixedInputs, ...depList]), deps: depList };
  writeFileSync(stampPath, JSON.stringify(stamp, null, 1) + '\n');
  return { elf, map, stackUsage: stackUsageFiles(elf, sources), skipped: false, warnings: diagnostics };
}

// A scenario's `firmware: source:` — a small C project (sources, include folders, an optimisation
// level, defines) built without a Makefile. The scenario file is untrusted, so what reaches gcc is
// bounded: every path is relative to the scenario's folder and stays inside it after symbolic links
// are resolved, only .c/.S/.s files are compiled, the level comes from a fixed set, and a define is a
// C identifier with a number or identifier value — never free flag text. The build is confined too:
// compileFirmware refuses a build that read a file outside these folders (`#include "/etc/…"`,
// `.incbin`), see CompileOptions.confineTo.
import { createHash } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { compileFirmware, type CompileResult } from '../toolchain/toolchain.js';
import { isInside, projectRoot } from '../util/paths.js';

/** GCC's -O levels a scenario may choose (GCC manual, "Options That Control Optimization"). */
export const OPT_LEVELS = ['O0', 'O1', 'O2', 'O3', 'Os', 'Og'] as const;
export type OptLevel = (typeof OPT_LEVELS)[number];

/** What one scenario's C project may hold (stated in the README's Limits table). */
export const SOURCE_LIMITS = {
  sources: 256,
  includeDirs: 32,
  defines: 64,
  /** Characters of a define's name and of its value. */
  defineName: 128,
  defineValue: 64,
  /** Characters of one path as written in the scenario. */
  path: 1024,
} as const;

/** Files compiled: C and assembly (`.S` is preprocessed, `.s` is not). */
export const SOURCE_EXTENSIONS = ['.c', '.S', '.s'] as const;

export type DefineValue = string | number | boolean;

/** The C project of a source firmware, every path absolute (real paths once they exist). */
export interface SourceProject {
  /** The scenario's folder (real path): everything the build reads must be inside it. */
  root: string;
  sources: string[];
  includeDirs: string[];
  /** Default: the firmware flags' -O2 (src/toolchain/toolchain.ts FIRMWARE_FLAGS). */
  optimize?: OptLevel;
  /** true: -DNAME; a number or token: -DNAME=VALUE. */
  defines: Record<string, DefineValue>;
  linkerScript?: string;
}

/** A refused part of a C project: the message names what is wrong (the caller adds file and field). */
export class SourceProjectError extends Error {
  override name = 'SourceProjectError';
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// C integer and floating constants (C11 6.4.4.1, 6.4.4.2) in their everyday forms, and identifiers:
// one preprocessing token each, so a value can never carry a second gcc flag or a second token.
const INTEGER = /^[+-]?(?:0[xX][0-9A-Fa-f]+|[0-9]+)(?:[uU]?[lL]{0,2}|[lL]{1,2}[uU])$/;
const FLOAT = /^[+-]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][+-]?[0-9]+)?[fFlL]?$/;

const VALUE_RULE = 'an integer, a decimal number or a C identifier';

/** A short, printable rendering of something the scenario wrote, for a message. */
function shown(text: string): string {
  const printable = /^[\x20-\x7e]*$/.test(text);
  if (!printable) return `a text of ${text.length} characters`;
  return text.length <= 60 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 57))}…`;
}

/** Why a define cannot be passed to gcc, or null. */
export function defineProblem(name: string, value: DefineValue): string | null {
  if (name.length > SOURCE_LIMITS.defineName || !IDENTIFIER.test(name))
    return `expected a C identifier as the name, got ${shown(name)}`;
  if (typeof value === 'boolean') return null;
  if (typeof value === 'number')
    return Number.isFinite(value) ? null : `expected ${VALUE_RULE}, got ${String(value)}`;
  if (value.length > SOURCE_LIMITS.defineValue)
    return `expected ${VALUE_RULE} of at most ${SOURCE_LIMITS.defineValue} characters, got ${value.length}`;
  if (INTEGER.test(value) || FLOAT.test(value) || IDENTIFIER.test(value)) return null;
  return `expected ${VALUE_RULE}, got ${shown(value)}`;
}

/**
 * The list form of defines (`[NDEBUG, TAPS=8]`) as a mapping. Returns the problem of the first bad
 * item with its index instead.
 */
export function defineList(
  items: string[],
): { defines: Record<string, DefineValue> } | { index: number; problem: string } {
  const defines: Record<string, DefineValue> = {};
  for (const [index, item] of items.entries()) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value: DefineValue = eq < 0 ? true : item.slice(eq + 1);
    if (!IDENTIFIER.test(name) || name.length > SOURCE_LIMITS.defineName)
      return { index, problem: `expected NAME or NAME=VALUE with NAME a C identifier, got ${shown(item)}` };
    const problem = defineProblem(name, value);
    if (problem) return { index, problem: `${name}: ${problem}` };
    if (Object.hasOwn(defines, name)) return { index, problem: `${name} is defined twice` };
    defines[name] = value;
  }
  return { defines };
}

/** Why a path as written cannot name a project file, before looking at the disk; or null. */
export function pathTextProblem(text: string, kind: 'source' | 'folder' | 'linkerScript'): string | null {
  if (text.length > SOURCE_LIMITS.path) return `expected a path of at most ${SOURCE_LIMITS.path} characters`;
  // A NUL cannot be in a path (and node refuses it with a TypeError); newlines are never meant.
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(text)) return 'expected a path without control characters';
  if (isAbsolute(text)) return `expected a path relative to the scenario's folder, got an absolute path`;
  if (kind === 'source' && !(SOURCE_EXTENSIONS as readonly string[]).includes(extname(text)))
    return `expected a ${SOURCE_EXTENSIONS.join(', ')} file, got ${shown(text)}`;
  return null;
}

/** The scenario's folder as a real path (the folder itself may be reached through a link). */
export function projectRootOf(scenarioFile: string): string {
  const dir = dirname(resolve(scenarioFile));
  try {
    return realpathSync(dir);
  } catch {
    return dir; // parseScenario on data without a file (tests): paths are still checked lexically
  }
}

/**
 * `text` (relative to `root`) as an absolute path inside `root`: refused when it climbs out with `..`,
 * or leads out through a symbolic link, or is not a regular file (a folder for `folder`). A path that
 * does not exist yet is returned as written when `allowMissing` (the build reports it), refused otherwise.
 */
export function resolveProjectPath(
  root: string,
  text: string,
  kind: 'source' | 'folder' | 'linkerScript',
  allowMissing: boolean,
): string {
  const problem = pathTextProblem(text, kind);
  if (problem) throw new SourceProjectError(problem);
  const path = resolve(root, text);
  if (!isInside(root, path)) throw new SourceProjectError(`${shown(text)} is outside the scenario's folder`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if ((code === 'ENOENT' || code === 'ENOTDIR') && allowMissing) return path;
    const why =
      code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or folder' : `cannot be read (${code})`;
    throw new SourceProjectError(`${shown(text)}: ${why}`);
  }
  if (!isInside(root, real))
    throw new SourceProjectError(`${shown(text)} leads outside the scenario's folder (a symbolic link)`);
  const st = statSync(real);
  if (kind === 'folder' ? !st.isDirectory() : !st.isFile()) {
    const what = st.isDirectory()
      ? 'a folder'
      : st.isFIFO()
        ? 'a FIFO'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : st.isSocket()
            ? 'a socket'
            : 'a regular file';
    throw new SourceProjectError(
      `${shown(text)} is ${what}, not ${kind === 'folder' ? 'a folder' : 'a regular file'}`,
    );
  }
  return real;
}

/**
 * Why the sources cannot be built together, or null: gcc names each source's stack-usage and
 * dependency files after its base name, so two sources (or one and the start-up code, startup.c)
 * must not share one.
 */
export function sourceNamesProblem(sources: string[]): { index: number; problem: string } | null {
  const seen = new Map<string, string>([['startup', 'the start-up code (startup.c)']]);
  for (const [index, file] of sources.entries()) {
    const base = basename(file, extname(file));
    const other = seen.get(base);
    if (other !== undefined)
      return {
        index,
        problem: `${shown(file)} has the base name of ${other} (gcc names a source's output files after it)`,
      };
    seen.set(base, shown(file));
  }
  return null;
}

/**
 * Builds the project for `linkerScript` with our start-up code and newlib's rdimon.specs. Every path is
 * checked again (the folder may have changed since the scenario was read). Cached by content hash
 * (compileFirmware): sources, headers under the include folders and every file gcc read, flags,
 * defines and level.
 */
export function buildSourceProject(p: SourceProject, linkerScript: string): CompileResult {
  const again = (field: string, file: string, kind: 'source' | 'folder' | 'linkerScript') => {
    try {
      return resolveProjectPath(p.root, relative(p.root, file), kind, false);
    } catch (e) {
      throw e instanceof SourceProjectError ? new SourceProjectError(`firmware.${field}: ${e.message}`) : e;
    }
  };
  const sources = p.sources.map((f, i) => again(`source[${i}]`, f, 'source'));
  const includeDirs = p.includeDirs.map((d, i) => again(`includeDirs[${i}]`, d, 'folder'));
  const script = p.linkerScript ? again('linkerScript', p.linkerScript, 'linkerScript') : linkerScript;
  const board = join(projectRoot(), 'firmware', 'board');
  const key = createHash('sha256')
    .update(JSON.stringify([sources, includeDirs, script, p.defines, p.optimize ?? null]))
    .digest('hex')
    .slice(0, 8);
  const first = sources[0]!;
  const output = join(
    projectRoot(),
    'firmware',
    'build',
    'scenarios',
    `${basename(first, extname(first))}-${key}.elf`,
  );
  return compileFirmware({
    sources: [...sources, join(board, 'startup.c')],
    output,
    linkerScript: script,
    specs: ['rdimon.specs'],
    defines: p.defines,
    includeDirs,
    cflags: ['-Wall', '-Wextra', ...(p.optimize ? [`-${p.optimize}`] : [])],
    // The project, our start-up code and linker scripts, and the generated board script's folder.
    confineTo: [p.root, board, dirname(script)],
  });
}

// Scenario files (scenarios/*.yaml): a firmware, a board, images and budgets that `m4sim check` enforces.
// Validated with zod; every error names the file, the field and what was expected.
import { basename, dirname, extname, isAbsolute, relative, resolve } from 'node:path';
import { z } from 'zod';
import { lazyRequire } from '../util/lazy-require.js';
import { MEMORY_LIMITS } from '../emulator/board.js';
import {
  outputTextProblem,
  parseCycleLimit,
  parseSimTime,
  symbolNameProblem,
  MAX_CYCLE_LIMIT,
  type StopConditions,
} from '../emulator/stop-conditions.js';
import { INPUT_LIMITS, readInputText } from '../util/input-file.js';
import {
  defineList,
  defineProblem,
  OPT_LEVELS,
  pathTextProblem,
  projectRootOf,
  resolveProjectPath,
  sourceNamesProblem,
  SourceProjectError,
  SOURCE_LIMITS,
  type SourceProject,
} from './source-firmware.js';

/** The budgets a scenario may set, in the order `check` prints them. */
export const BUDGET_NAMES = ['sram', 'static', 'stack', 'heap', 'flash', 'cycles', 'match'] as const;
export type BudgetName = (typeof BUDGET_NAMES)[number];
/** Rows `check` adds on its own: the firmware's exit status and (when asked) its output. */
export const ROW_NAMES = [...BUDGET_NAMES, 'exit', 'output'] as const;
export type RowName = (typeof ROW_NAMES)[number];

export interface Budgets {
  /** Peak SRAM: static + heap + stack, bytes. Default: the board's main SRAM size. */
  sram?: number;
  /** .data + .bss + other static RAM sections, bytes. */
  static?: number;
  stack?: number;
  heap?: number;
  /** Flash used, bytes. */
  flash?: number;
  /** Modeled cycles per frame (the largest over the images). */
  cycles?: number;
  /** The firmware's outputs and boxes must equal the TypeScript reference's (detector only; default true). */
  match?: boolean;
}

export type Firmware =
  | { kind: 'detector'; model?: string; threshold?: number }
  | { kind: 'elf'; elf: string }
  | ({ kind: 'source' } & SourceProject);

export interface Expectation {
  /** 'pass': every row passes. 'fail': the rows in `fail` must fail (all other rows pass). */
  outcome: 'pass' | 'fail';
  /** Rows expected to fail; empty with outcome 'fail' means "at least one budget row fails". */
  fail: RowName[];
  reason?: string;
}

/** A validated scenario; every path is absolute. Plain data, so it can be posted to a worker thread. */
export interface Scenario {
  name: string;
  /** The scenario file (absolute) and as given (for messages). */
  file: string;
  displayFile: string;
  description?: string;
  firmware: Firmware;
  board: string;
  /** Main SRAM size override, bytes. */
  ram?: number;
  flashSize?: number;
  clockHz?: number;
  /** Detector input images (absolute); empty for ELF/source firmware. */
  images: string[];
  /** Expected firmware exit status (default 0). */
  exitCode: number;
  /** Text the firmware's output must contain. */
  output?: string;
  maxInstructions?: number;
  /**
   * Stop conditions for firmware that never exits (ELF/source): the first reached ends the run with
   * status 0, and the budgets are judged at that point.
   */
  until?: StopConditions;
  budgets: Budgets;
  expect: Expectation;
}

export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

// ---- value parsers (zod transforms with our own messages) ----

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(k|kb|kib|m|mb|mib|b|)\s*$/i;

/**
 * A wrong value as messages show it: short scalars as they are (`got "lots"`), anything longer or
 * structured by its kind only, so a file that is not a scenario at all is not echoed into a log.
 */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string')
    return v.length <= 40 && /^[\x20-\x7e]*$/.test(v)
      ? JSON.stringify(v)
      : `a string of ${v.length} characters`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return JSON.stringify(v);
  return Array.isArray(v) ? 'a list' : 'a mapping';
}

/** "256K", "188KB", "1M", 262144 → bytes (K = 1024). */
export function parseSizeValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : null;
  if (typeof v !== 'string') return null;
  const m = SIZE_RE.exec(v.replace(/[_,]/g, ''));
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1;
  const bytes = Number(m[1]) * scale;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** "1.76G", "1760M", "1.76e9", 1760000000 → a count. */
export function parseCountValue(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v) : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*(k|m|g|)\s*$/i.exec(v.replace(/[_,]/g, ''));
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit === 'k' ? 1e3 : unit === 'm' ? 1e6 : unit === 'g' ? 1e9 : 1;
  const n = Math.round(Number(m[1]) * scale);
  return Number.isSafeInteger(n) ? n : null;
}

/** "168MHz", "168M", 168000000 → Hz. */
export function parseFrequencyValue(v: unknown): number | null {
  if (typeof v === 'number') return v > 0 ? v : null;
  if (typeof v !== 'string') return null;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(hz|khz|mhz|ghz|k|m|g|)\s*$/i.exec(v);
  if (!m) return null;
  const unit = (m[2] ?? '').toLowerCase();
  const scale = unit.startsWith('k') ? 1e3 : unit.startsWith('m') ? 1e6 : unit.startsWith('g') ? 1e9 : 1;
  const hz = Number(m[1]) * scale;
  return hz > 0 ? hz : null;
}

function parsed<T>(parse: (v: unknown) => T | null, expected: string) {
  return z.unknown().transform((v, ctx): T => {
    const out = parse(v);
    if (out === null) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `expected ${expected}, got ${show(v)}` });
      return z.NEVER;
    }
    return out;
  });
}

const size = parsed(parseSizeValue, 'a size like 256K or a number of bytes');
/** A memory size the simulator maps (src/emulator/board.ts MEMORY_LIMITS). */
const memorySize = size.refine((n) => n <= MEMORY_LIMITS.regionBytes, {
  message: `expected a size of at most ${MEMORY_LIMITS.regionBytes / (1024 * 1024)}M (what m4sim maps for one region)`,
});
const count = parsed(parseCountValue, 'a cycle count like 1.76G, 1760M or 1760000000');
const frequency = parsed(parseFrequencyValue, 'a frequency like 168MHz');
const path = z.string({ invalid_type_error: 'expected a file path' }).min(1, 'expected a file path');

/** The stop conditions of a scenario (`until:`), each checked as its command-line option is. */
const untilSchema = z
  .object({
    output: z
      .string({ invalid_type_error: 'expected a text' })
      .superRefine((v, ctx) => {
        const problem = outputTextProblem(v);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      })
      .optional(),
    symbol: z
      .string({ invalid_type_error: 'expected a function or label name' })
      .superRefine((v, ctx) => {
        const problem = symbolNameProblem(v);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
      })
      .optional(),
    time: parsed(
      (v) => (typeof v === 'string' ? parseSimTime(v) : null),
      'a simulated time like 2s, 500ms or 10us (more than 0, at most 24 hours)',
    ).optional(),
    cycles: parsed(
      (v) =>
        typeof v === 'number'
          ? Number.isSafeInteger(v) && v > 0 && v <= MAX_CYCLE_LIMIT
            ? v
            : null
          : typeof v === 'string'
            ? parseCycleLimit(v)
            : null,
      'a cycle count from 1 to 1e15 like 168000, 1.5M or 2e9',
    ).optional(),
  })
  .strict()
  .refine((u) => Object.values(u).some((v) => v !== undefined), {
    message: 'expected at least one of output, symbol, time, cycles',
  });

const rowName = z.enum(ROW_NAMES, {
  errorMap: (_issue, ctx) => ({ message: `expected one of ${ROW_NAMES.join(', ')}, got ${show(ctx.data)}` }),
});

const budgetsSchema = z
  .object({
    sram: size.optional(),
    static: size.optional(),
    stack: size.optional(),
    heap: size.optional(),
    flash: size.optional(),
    cycles: count.optional(),
    match: z.boolean({ invalid_type_error: 'expected true or false' }).optional(),
  })
  .strict();

const firmwareSchema = z
  .object({
    detector: z
      .object({
        model: path.optional(),
        threshold: z
          .number({ invalid_type_error: 'expected a score in [0, 1)' })
          .min(0, 'expected a score in [0, 1)')
          .lt(1, 'expected a score in [0, 1)')
          .optional(),
      })
      .strict()
      .nullable()
      .optional(),
    elf: path.optional(),
    source: z
      .union([path, z.array(path).min(1)], {
        errorMap: () => ({ message: 'expected a C/assembly file path or a list of them' }),
      })
      .optional(),
    includeDirs: z
      .array(path, { invalid_type_error: 'expected a list of folders' })
      .max(SOURCE_LIMITS.includeDirs, `expected at most ${SOURCE_LIMITS.includeDirs} folders`)
      .optional(),
    optimize: z
      .enum(OPT_LEVELS, {
        errorMap: (_issue, ctx) => ({
          message: `expected one of ${OPT_LEVELS.join(', ')}, got ${show(ctx.data)}`,
        }),
      })
      .optional(),
    linkerScript: path.optional(),
    defines: z
      .union(
        [
          z.array(z.string()).max(SOURCE_LIMITS.defines),
          z.record(z.union([z.string(), z.number(), z.boolean()])),
        ],
        {
          errorMap: () => ({
            message: `expected a mapping NAME: value or a list of NAME / NAME=VALUE (at most ${SOURCE_LIMITS.defines})`,
          }),
        },
      )
      .optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const kinds = (['detector', 'elf', 'source'] as const).filter((k) => f[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `expected exactly one of detector, elf, source, got ${kinds.length === 0 ? 'none' : kinds.join(' and ')}`,
      });
    }
    const sourceOnly = (['includeDirs', 'optimize', 'linkerScript', 'defines'] as const).filter(
      (k) => f[k] !== undefined,
    );
    if (sourceOnly.length > 0 && f.source === undefined) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `${sourceOnly.join(', ')}: only source firmware takes these`,
      });
    }
    // Each path as written, before anything looks at the disk (parseScenario checks where it leads).
    const texts: [(string | number)[], string, 'source' | 'folder' | 'linkerScript'][] = [];
    if (typeof f.source === 'string') texts.push([['source'], f.source, 'source']);
    else f.source?.forEach((t, i) => texts.push([['source', i], t, 'source']));
    f.includeDirs?.forEach((t, i) => texts.push([['includeDirs', i], t, 'folder']));
    if (f.linkerScript !== undefined) texts.push([['linkerScript'], f.linkerScript, 'linkerScript']);
    for (const [field, text, kind] of texts) {
      const problem = pathTextProblem(text, kind);
      if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: field, message: problem });
    }
    if (Array.isArray(f.source) && f.source.length > SOURCE_LIMITS.sources)
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['source'],
        message: `expected at most ${SOURCE_LIMITS.sources} sources, got ${f.source.length}`,
      });
    else if (Array.isArray(f.source)) {
      const clash = sourceNamesProblem(f.source);
      if (clash)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['source', clash.index], message: clash.problem });
    }
    if (Array.isArray(f.defines)) {
      const r = defineList(f.defines);
      if ('problem' in r)
        ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['defines', r.index], message: r.problem });
    } else if (f.defines !== undefined) {
      const entries = Object.entries(f.defines);
      if (entries.length > SOURCE_LIMITS.defines)
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['defines'],
          message: `expected at most ${SOURCE_LIMITS.defines} defines`,
        });
      for (const [name, value] of entries) {
        const problem = defineProblem(name, value);
        if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['defines', name], message: problem });
      }
    }
  });

const expectSchema = z.union(
  [
    z.enum(['pass', 'fail']),
    z
      .object({
        fail: z.array(rowName).default([]),
        reason: z.string().optional(),
      })
      .strict(),
  ],
  { errorMap: () => ({ message: 'expected pass, fail, or { fail: [budget…], reason: text }' }) },
);

const scenarioSchema = z
  .object({
    name: z
      .string({ invalid_type_error: 'expected a name' })
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected a name of letters, digits, ".", "_" and "-"')
      .optional(),
    description: z.string().optional(),
    firmware: firmwareSchema,
    board: z.string({ invalid_type_error: 'expected a board name or a board JSON file' }).default('m4-256k'),
    ram: memorySize.optional(),
    flash: memorySize.optional(),
    clock: frequency.optional(),
    images: z.array(path, { invalid_type_error: 'expected a list of image paths' }).min(1).optional(),
    exit: z.number({ invalid_type_error: 'expected an exit status 0..255' }).int().min(0).max(255).default(0),
    output: z.string().optional(),
    maxInstructions: count.optional(),
    until: untilSchema.optional(),
    budgets: budgetsSchema.default({}),
    expect: expectSchema.default('pass'),
  })
  .strict();

/** A path as the user would type it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  if (!isAbsolute(file)) return file;
  const rel = relative(process.cwd(), file);
  return rel === '' || rel.startsWith('..') || isAbsolute(rel) ? file : rel;
}

function fieldPath(p: (string | number)[]): string {
  let out = '';
  for (const part of p) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`;
  return out;
}

function describeIssue(issue: z.ZodIssue): string {
  const where = fieldPath(issue.path);
  const prefix = where === '' ? '' : `${where}: `;
  switch (issue.code) {
    case z.ZodIssueCode.unrecognized_keys:
      return `${prefix}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    case z.ZodIssueCode.invalid_type:
      if (issue.received === 'undefined') return `${prefix}missing (required)`;
      if (/^Expected /.test(issue.message))
        return `${prefix}expected ${issue.expected}, got ${issue.received === 'null' ? 'nothing' : issue.received}`;
      return `${prefix}${issue.message}`;
    case z.ZodIssueCode.invalid_union: {
      // The value had the shape of one branch (e.g. the { fail: […] } form): report that branch's problem.
      for (const branch of issue.unionErrors) {
        const deeper = branch.issues.find((i) => i.path.length > issue.path.length);
        if (deeper) return describeIssue(deeper);
      }
      return `${prefix}${issue.message}`;
    }
    default:
      return `${prefix}${issue.message}`;
  }
}

/**
 * The C project of a `source:` firmware, its paths resolved inside the scenario's folder (a path that
 * does not exist yet is left to the build, which reports it in the scenario's row).
 */
function sourceProject(fw: z.infer<typeof firmwareSchema>, file: string, displayFile: string): SourceProject {
  const root = projectRootOf(file);
  const where = (field: string, f: () => string) => {
    try {
      return f();
    } catch (e) {
      if (e instanceof SourceProjectError)
        throw new ScenarioError(`${displayFile}: firmware.${field}: ${e.message}`);
      throw e;
    }
  };
  const single = !Array.isArray(fw.source);
  const list = Array.isArray(fw.source) ? fw.source : [fw.source!];
  const defines = Array.isArray(fw.defines) ? defineList(fw.defines) : { defines: fw.defines ?? {} };
  return {
    root,
    sources: list.map((t, i) =>
      where(single ? 'source' : `source[${i}]`, () => resolveProjectPath(root, t, 'source', true)),
    ),
    includeDirs: (fw.includeDirs ?? []).map((t, i) =>
      where(`includeDirs[${i}]`, () => resolveProjectPath(root, t, 'folder', true)),
    ),
    optimize: fw.optimize,
    // defineList's problems were reported by the schema
    defines: 'defines' in defines ? defines.defines : {},
    linkerScript:
      fw.linkerScript === undefined
        ? undefined
        : where('linkerScript', () => resolveProjectPath(root, fw.linkerScript!, 'linkerScript', true)),
  };
}

/** Validates parsed YAML; `file` is used for messages and to resolve relative paths. */
export function parseScenario(data: unknown, file: string): Scenario {
  const displayFile = displayPath(file);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError(`${displayFile}: expected a mapping of scenario fields at the top level`);
  }
  const r = scenarioSchema.safeParse(data);
  if (!r.success) {
    throw new ScenarioError(`${displayFile}: ${describeIssue(r.error.issues[0]!)}`);
  }
  const s = r.data;
  const dir = dirname(resolve(file));
  const abs = (p: string) => resolve(dir, p);
  const fw = s.firmware;
  let firmware: Firmware;
  if (fw.detector !== undefined) {
    const d = fw.detector ?? {};
    firmware = { kind: 'detector', model: d.model && abs(d.model), threshold: d.threshold };
  } else if (fw.elf !== undefined) {
    firmware = { kind: 'elf', elf: abs(fw.elf) };
  } else {
    firmware = { kind: 'source', ...sourceProject(fw, file, displayFile) };
  }
  if (s.images && firmware.kind !== 'detector') {
    throw new ScenarioError(`${displayFile}: images: only a detector firmware takes images`);
  }
  if (s.until && firmware.kind === 'detector') {
    throw new ScenarioError(`${displayFile}: until: only ELF or source firmware takes stop conditions`);
  }
  if (s.budgets.match !== undefined && firmware.kind !== 'detector') {
    throw new ScenarioError(`${displayFile}: budgets.match: only a detector firmware has a reference`);
  }
  const expect: Expectation =
    typeof s.expect === 'string'
      ? { outcome: s.expect, fail: [] }
      : { outcome: 'fail', fail: s.expect.fail, reason: s.expect.reason };
  if (expect.outcome === 'fail' && typeof s.expect === 'object' && expect.fail.length === 0) {
    throw new ScenarioError(`${displayFile}: expect.fail: expected a list of budgets that must fail`);
  }
  return {
    name: s.name ?? basename(file, extname(file)),
    file: resolve(file),
    displayFile,
    description: s.description,
    firmware,
    board: s.board.endsWith('.json') ? abs(s.board) : s.board,
    ram: s.ram,
    flashSize: s.flash,
    clockHz: s.clock,
    images: (s.images ?? []).map(abs),
    exitCode: s.exit,
    output: s.output,
    maxInstructions: s.maxInstructions,
    until: s.until && {
      output: s.until.output,
      symbol: s.until.symbol,
      simTimeNs: s.until.time,
      cycles: s.until.cycles,
    },
    budgets: s.budgets,
    expect,
  };
}

/** YAML error codes (yaml's ErrorCode) in words; the library's own messages may quote the file. */
const YAML_PROBLEMS: Record<string, string> = {
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'a tab used as indentation',
  DUPLICATE_KEY: 'a field given twice',
  MISSING_CHAR: 'a missing closing quote or bracket',
  BLOCK_AS_IMPLICIT_KEY: 'a nested mapping or list where a key was expected',
  MULTILINE_IMPLICIT_KEY: 'a key spanning lines',
  MULTIPLE_DOCS: 'more than one YAML document',
  BAD_DQ_ESCAPE: 'a bad escape in a double-quoted string',
  UNEXPECTED_TOKEN: 'an unexpected character',
};

const yaml = lazyRequire<typeof import('yaml')>('yaml');

/** What is wrong with a YAML text and where, in words of our own: never a line of the file. */
function yamlProblem(e: unknown): string {
  if (e instanceof yaml().YAMLParseError) {
    const what = YAML_PROBLEMS[e.code] ?? e.code.toLowerCase().replace(/_/g, ' ');
    const at = e.linePos?.[0];
    return at ? `${what} at line ${at.line}, column ${at.col}` : what;
  }
  // yaml throws a ReferenceError for an alias without an anchor or too many aliases (a "YAML bomb").
  return 'an alias that cannot be resolved, or too many aliases';
}

/** Reads and validates a scenario file. Throws ScenarioError (file: field: what was expected). */
export function loadScenario(file: string): Scenario {
  const displayFile = displayPath(file);
  const text = readInputText(file, 'scenario file', INPUT_LIMITS.text);
  let data: unknown;
  try {
    data = yaml().parse(text, { prettyErrors: true });
  } catch (e) {
    throw new ScenarioError(`${displayFile}: not valid YAML: ${yamlProblem(e)}`);
  }
  return parseScenario(data, file);
}

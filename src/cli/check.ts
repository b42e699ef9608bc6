import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  compareBaseline,
  DEFAULT_TOLERANCE,
  formatDeltas,
  readBaseline,
  writeBaseline,
  type DeltaRow,
} from '../scenarios/baseline.js';
import { evaluate, formatRows, type ScenarioVerdict } from '../scenarios/budgets.js';
import { junitXml } from '../scenarios/junit.js';
import { defaultJobs, runScenarios, shard } from '../scenarios/parallel.js';
import { loadScenario, ScenarioError, type Scenario } from '../scenarios/schema.js';
import { InputFileError } from '../util/input-file.js';
import { projectRoot } from '../util/paths.js';
import { UsageError } from '../util/units.js';
import { writeOutputFile } from './output-file.js';

interface CheckOptions {
  baseline?: string;
  updateBaseline?: boolean;
  cyclesTolerance: string;
  bytesTolerance: string;
  json?: string;
  junit?: string;
  jobs?: string;
  shard?: string;
}

/** Scenario files: the arguments (files or folders), or every scenarios/*.yaml. */
function scenarioFiles(args: string[]): string[] {
  const yamls = (dir: string) =>
    readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  if (args.length === 0) {
    const local = resolve('scenarios');
    const dir = existsSync(local) ? local : join(projectRoot(), 'scenarios');
    return yamls(dir);
  }
  return args.flatMap((a) => (isDirectory(a) ? yamls(a) : [a]));
}

/** A folder of scenarios, or not (then loadScenario reads it as a file, refusing special files). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'no such file or folder' : `cannot be read (${code ?? 'unknown error'})`;
    throw new InputFileError(`scenario ${path}: ${why}`, 66);
  }
}

function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = m ? Number(m[1]) : 0;
  const count = m ? Number(m[2]) : 0;
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UsageError(`--shard: expected i/n with 1 <= i <= n, e.g. 2/4, got "${text}"`);
  }
  return { index, count };
}

function parseJobs(text: string | undefined): number {
  if (text === undefined) return defaultJobs();
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--jobs: expected a whole number >= 1, got "${text}"`);
  return n;
}

function parseNumber(text: string, what: string, percent: boolean): number {
  const v = Number(text.replace(/%$/, ''));
  if (!Number.isFinite(v) || v < 0) throw new UsageError(`${what}: expected a number >= 0, got "${text}"`);
  return percent ? v / 100 : v;
}

export function registerCheck(program: Command, setStatus: (code: number) => void): void {
  program
    .command('check')
    .description('run scenarios (scenarios/*.yaml) and check their SRAM, flash and cycle budgets')
    .argument('[scenarios...]', 'scenario files or folders (default: every scenarios/*.yaml)')
    .option('--baseline <file>', 'compare cycles and bytes with a stored result (baseline.json)')
    .option('--update-baseline', 'write the results to the --baseline file (default baseline.json)')
    .option('--cycles-tolerance <percent>', 'allowed cycles increase over the baseline, in percent', '1')
    .option('--bytes-tolerance <bytes>', 'allowed increase of each byte figure over the baseline', '0')
    .option('--json <file>', 'write the results as JSON ("-": stdout, the table then goes to stderr)')
    .option('--junit <file>', 'write JUnit XML (one testsuite per scenario, one testcase per budget)')
    .option('--jobs <n>', 'scenarios run in parallel worker threads (default: the number of cores)')
    .option('--shard <i/n>', 'run the i-th of n slices of the scenarios (for a CI matrix)')
    .action(async (args: string[], opts: CheckOptions) => {
      const tolerance = {
        cycles: parseNumber(opts.cyclesTolerance, '--cycles-tolerance', true),
        bytes: parseNumber(opts.bytesTolerance, '--bytes-tolerance', false),
      };
      const jobs = parseJobs(opts.jobs);
      const slice = opts.shard ? parseShard(opts.shard) : null;
      const out = opts.json === '-' ? process.stderr : process.stdout;
      // A bad scenario or baseline file is thrown to main's reportError, which owns the exit statuses.
      const files = scenarioFiles(args);
      if (files.length === 0) throw new UsageError('no scenario files (scenarios/*.yaml) found');
      let scenarios: Scenario[] = files.map(loadScenario);
      const seen = new Map<string, string>();
      for (const s of scenarios) {
        const other = seen.get(s.name);
        if (other)
          throw new ScenarioError(`${s.displayFile}: name: "${s.name}" is also the name of ${other}`);
        seen.set(s.name, s.displayFile);
      }
      const baseline = opts.baseline && !opts.updateBaseline ? readBaseline(opts.baseline) : null;
      if (slice) scenarios = shard(scenarios, slice.index, slice.count);
      if (scenarios.length === 0) {
        out.write(`m4sim: shard ${opts.shard} has no scenarios\n`);
      }
      const progress = process.stderr.isTTY && scenarios.length > 1;
      let finished = 0;
      const { results, notes } = await runScenarios(scenarios, {
        jobs,
        onResult: (r) => {
          finished++;
          if (progress)
            process.stderr.write(
              `m4sim: [${finished}/${scenarios.length}] ${r.name} ${r.wallSeconds.toFixed(1)} s\n`,
            );
        },
      });
      for (const n of notes) process.stderr.write(`m4sim: ${n}\n`);
      const verdicts: ScenarioVerdict[] = scenarios.map((s, i) => evaluate(s, results[i]!));
      if (verdicts.length > 0) out.write(formatRows(verdicts));
      let deltas: DeltaRow[] = [];
      let baselineOk = true;
      if (baseline) {
        const cmp = compareBaseline(baseline, results, tolerance);
        deltas = cmp.rows;
        baselineOk = deltas.every((d) => d.pass);
        out.write(`\nbaseline ${opts.baseline}:\n`);
        out.write(formatDeltas(cmp.rows, cmp.missing, tolerance));
      }
      if (opts.updateBaseline) {
        const file = opts.baseline ?? 'baseline.json';
        writeBaseline(file, results);
        out.write(`m4sim: wrote ${file}\n`);
      }
      const ok = verdicts.every((v) => v.ok) && baselineOk;
      const passed = verdicts.filter((v) => v.ok).length;
      out.write(
        `${ok ? 'ok' : 'FAILED'}: ${passed}/${verdicts.length} scenarios within budget` +
          `${baseline ? (baselineOk ? ', no regression against the baseline' : ', regression against the baseline') : ''}\n`,
      );
      if (opts.json) {
        const json = {
          schema: 1,
          ok,
          tolerance: { ...DEFAULT_TOLERANCE, ...tolerance },
          scenarios: verdicts.map((v) => ({
            name: v.scenario.name,
            file: v.scenario.displayFile,
            ok: v.ok,
            expect: v.scenario.expect,
            result: v.result,
            rows: v.rows,
          })),
          baseline: baseline ? { file: opts.baseline, ok: baselineOk, rows: deltas } : null,
        };
        const text = JSON.stringify(json, null, 2) + '\n';
        if (opts.json === '-') process.stdout.write(text);
        else writeOutputFile(opts.json, text, '--json');
      }
      if (opts.junit) writeOutputFile(opts.junit, junitXml(verdicts, deltas), '--junit');
      setStatus(ok ? 0 : 1);
    });
}

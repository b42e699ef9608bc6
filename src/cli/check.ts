import type { Command } from 'commander';
import {
  compareBaseline,
  formatDeltas,
  readBaseline,
  writeBaseline,
  type DeltaRow,
} from '../scenarios/baseline.js';
import { evaluate, formatRows, type ScenarioVerdict } from '../scenarios/budgets.js';
import { discoverScenarios } from '../scenarios/discovery.js';
import { junitXml } from '../scenarios/junit.js';
import { defaultJobs, runScenarios, shard } from '../scenarios/parallel.js';
import { checkJson } from '../scenarios/report-json.js';
import { UsageError } from '../util/units.js';
import type { Done } from './status.js';
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

export function registerCheck(program: Command, done: Done): void {
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
      // A bad scenario or baseline file is thrown to main, whose exitStatus owns the exit statuses.
      let scenarios = discoverScenarios(args);
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
        const json = checkJson({
          ok,
          tolerance,
          verdicts,
          baseline: baseline ? { file: opts.baseline!, ok: baselineOk, rows: deltas } : null,
        });
        const text = JSON.stringify(json, null, 2) + '\n';
        if (opts.json === '-') process.stdout.write(text);
        else writeOutputFile(opts.json, text, '--json');
      }
      if (opts.junit) writeOutputFile(opts.junit, junitXml(verdicts, deltas), '--junit');
      done({ kind: 'check', ok });
    });
}

// Stored results (baseline.json): cycles and bytes per scenario, compared with a run to catch regressions.
import { existsSync, writeFileSync } from 'node:fs';
import { INPUT_LIMITS, readInputText } from '../util/input-file.js';
import { JsonSyntaxError, parseJsonText } from '../util/json-text.js';
import type { Measured, ScenarioResult } from './run.js';
import { thousands } from '../util/units.js';

export const BASELINE_SCHEMA = 1;

export interface BaselineEntry {
  cycles: number;
  sram: number;
  static: number;
  stack: number;
  heap: number;
  flash: number;
}

export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  scenarios: Record<string, BaselineEntry>;
}

export const METRICS = ['cycles', 'sram', 'static', 'stack', 'heap', 'flash'] as const;
export type Metric = (typeof METRICS)[number];

export interface Tolerance {
  /** Allowed cycles increase as a fraction of the baseline (default 0.01 = 1%). */
  cycles: number;
  /** Allowed increase of each byte figure (default 0). */
  bytes: number;
}

export const DEFAULT_TOLERANCE: Tolerance = { cycles: 0.01, bytes: 0 };

export interface DeltaRow {
  scenario: string;
  metric: Metric;
  baseline: number;
  value: number;
  delta: number;
  /** Largest value that passes. */
  allowed: number;
  pass: boolean;
}

export class BaselineError extends Error {
  override name = 'BaselineError';
}

export function entryOf(m: Measured): BaselineEntry {
  return {
    cycles: m.cycles,
    sram: m.sram.total,
    static: m.sram.static,
    stack: m.sram.stack,
    heap: m.sram.heap,
    flash: m.flash.used,
  };
}

export function readBaseline(file: string): Baseline {
  const text = readInputText(file, 'baseline file', INPUT_LIMITS.text);
  let data: unknown;
  try {
    data = parseJsonText(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new BaselineError(`${file}: ${e.message}`);
    throw e;
  }
  const b = data as Partial<Baseline>;
  if (b?.schema !== BASELINE_SCHEMA || typeof b.scenarios !== 'object' || b.scenarios === null) {
    throw new BaselineError(`${file}: expected {"schema": ${BASELINE_SCHEMA}, "scenarios": {…}}`);
  }
  for (const [name, entry] of Object.entries(b.scenarios)) {
    // Scenario names are letters, digits, ".", "_" and "-" (schema.ts): anything else is not ours to show.
    const shown = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)
      ? name
      : '(a key that is not a scenario name)';
    for (const metric of METRICS) {
      const v = (entry as unknown as Record<string, unknown>)?.[metric];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        const got =
          typeof v === 'number'
            ? String(v)
            : v === undefined
              ? 'nothing'
              : v === null
                ? 'null'
                : Array.isArray(v)
                  ? 'a list'
                  : typeof v === 'object'
                    ? 'an object'
                    : `a ${typeof v}`;
        throw new BaselineError(`${file}: scenarios.${shown}.${metric}: expected a number >= 0, got ${got}`);
      }
    }
  }
  return b as Baseline;
}

/**
 * Writes the results into `file`, keeping entries of scenarios that were not run (so the shards of a CI
 * matrix can each update their part). Scenarios that did not run to a measurement are left out.
 */
export function writeBaseline(file: string, results: ScenarioResult[]): Baseline {
  const previous = existsSync(file) ? readBaseline(file) : null;
  const scenarios: Record<string, BaselineEntry> = { ...(previous?.scenarios ?? {}) };
  for (const r of results) if (r.measured) scenarios[r.name] = entryOf(r.measured);
  const sorted = Object.fromEntries(Object.entries(scenarios).sort(([a], [b]) => a.localeCompare(b)));
  const baseline: Baseline = { schema: BASELINE_SCHEMA, scenarios: sorted };
  writeFileSync(file, JSON.stringify(baseline, null, 2) + '\n');
  return baseline;
}

/** One row per scenario in both and metric; a row fails when the value grew beyond the tolerance. */
export function compareBaseline(
  baseline: Baseline,
  results: ScenarioResult[],
  tolerance: Tolerance = DEFAULT_TOLERANCE,
): { rows: DeltaRow[]; missing: string[] } {
  const rows: DeltaRow[] = [];
  const missing: string[] = [];
  for (const r of results) {
    if (!r.measured) continue;
    const base = baseline.scenarios[r.name];
    if (!base) {
      missing.push(r.name);
      continue;
    }
    const now = entryOf(r.measured);
    for (const metric of METRICS) {
      const allowed =
        metric === 'cycles'
          ? Math.floor(base.cycles * (1 + tolerance.cycles))
          : base[metric] + tolerance.bytes;
      rows.push({
        scenario: r.name,
        metric,
        baseline: base[metric],
        value: now[metric],
        delta: now[metric] - base[metric],
        allowed,
        pass: now[metric] <= allowed,
      });
    }
  }
  return { rows, missing };
}

export function formatDeltas(rows: DeltaRow[], missing: string[], tolerance: Tolerance): string {
  const header = ['scenario', 'metric', 'baseline', 'now', 'delta', 'status'];
  const table: string[][] = [header];
  for (const d of rows) {
    const pct =
      d.baseline === 0 ? '' : ` (${d.delta >= 0 ? '+' : ''}${((100 * d.delta) / d.baseline).toFixed(2)}%)`;
    table.push([
      d.scenario,
      d.metric,
      thousands(d.baseline),
      thousands(d.value),
      `${d.delta >= 0 ? '+' : ''}${thousands(d.delta)}${pct}`,
      d.pass ? 'ok' : 'FAIL',
    ]);
  }
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const lines = table.map((r) =>
    r
      .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  lines.push(
    `  tolerance: cycles +${(tolerance.cycles * 100).toFixed(2).replace(/\.?0+$/, '')}%, bytes +${tolerance.bytes}`,
  );
  for (const name of missing) lines.push(`  ${name}: not in the baseline (--update-baseline adds it)`);
  for (const d of rows.filter((x) => !x.pass))
    lines.push(
      `  ${d.scenario} ${d.metric}: ${thousands(d.value)} is over the allowed ${thousands(d.allowed)}`,
    );
  return lines.join('\n') + '\n';
}

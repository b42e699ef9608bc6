// Budget rows: one per scenario and budget, with value, limit and margin; `expect` decides what passing means.
import { isStopReason } from '../emulator/faults.js';
import { thousands } from '../util/units.js';
import type { ScenarioResult } from './run.js';
import type { RowName, Scenario } from './schema.js';

export type RowStatus = 'ok' | 'FAIL' | 'xfail' | 'XPASS' | 'ERROR';

export interface BudgetRow {
  scenario: string;
  budget: RowName | 'run';
  unit: 'bytes' | 'cycles' | '';
  /** Measured value (a number for bytes and cycles; text for match, exit, output, run). */
  value: number | string;
  limit: number | string;
  /** limit − value for numeric rows (negative: over budget); null otherwise. */
  margin: number | null;
  /** The budget held. */
  pass: boolean;
  /** The scenario says this row must fail. */
  expectedFail: boolean;
  /** pass, or an expected failure that happened. */
  ok: boolean;
  status: RowStatus;
  /** Why it failed (or why that was expected). */
  detail?: string;
}

export interface ScenarioVerdict {
  scenario: Scenario;
  result: ScenarioResult;
  rows: BudgetRow[];
  ok: boolean;
}

const BYTE_BUDGETS = ['sram', 'static', 'stack', 'heap', 'flash'] as const;

/** Evaluates a scenario's budgets (plus its exit status and output) against what was measured. */
export function evaluate(s: Scenario, r: ScenarioResult): ScenarioVerdict {
  const rows: BudgetRow[] = [];
  const expectedFail = (budget: RowName) => s.expect.outcome === 'fail' && s.expect.fail.includes(budget);
  const push = (row: Omit<BudgetRow, 'scenario' | 'expectedFail' | 'ok' | 'status'>) => {
    const xf = row.budget !== 'run' && expectedFail(row.budget);
    const ok = row.pass !== xf;
    const status: RowStatus = row.pass ? (xf ? 'XPASS' : 'ok') : xf ? 'xfail' : 'FAIL';
    rows.push({ scenario: s.name, ...row, expectedFail: xf, ok, status });
  };
  const m = r.measured;
  if (r.doesNotFit) {
    // The firmware was not run: the SRAM and/or flash row breaks with what it needs against what the
    // board has (nothing else was measured), so `expect: fail: [sram]` holds for a board too small.
    const f = r.doesNotFit;
    const regions: [RowName, { needed: number; available: number } | undefined][] = [
      ['sram', f.sram],
      ['flash', f.flash],
    ];
    for (const [budget, need] of regions) {
      if (!need) continue;
      push({
        budget,
        unit: 'bytes',
        value: need.needed,
        limit: need.available,
        margin: need.available - need.needed,
        pass: false,
        detail: f.message,
      });
    }
    return { scenario: s, result: r, rows, ok: rows.every((row) => row.ok) };
  }
  if (r.error !== null || m === null) {
    rows.push({
      scenario: s.name,
      budget: 'run',
      unit: '',
      value: 'error',
      limit: 'runs',
      margin: null,
      pass: false,
      expectedFail: false,
      ok: false,
      status: 'ERROR',
      detail: r.error ?? 'no measurement',
    });
    return { scenario: s, result: r, rows, ok: false };
  }
  const values: Record<(typeof BYTE_BUDGETS)[number], number> = {
    sram: m.sram.total,
    static: m.sram.static,
    stack: m.sram.stack,
    heap: m.sram.heap,
    flash: m.flash.used,
  };
  for (const b of BYTE_BUDGETS) {
    // Peak SRAM is always checked: against the board's main SRAM when the scenario sets no budget.
    const limit = s.budgets[b] ?? (b === 'sram' ? r.ramSize : undefined);
    if (limit === undefined) continue;
    push({
      budget: b,
      unit: 'bytes',
      value: values[b],
      limit,
      margin: limit - values[b],
      pass: values[b] <= limit,
    });
  }
  if (s.budgets.cycles !== undefined) {
    const limit = s.budgets.cycles;
    push({
      budget: 'cycles',
      unit: 'cycles',
      value: m.cycles,
      limit,
      margin: limit - m.cycles,
      pass: m.cycles <= limit,
    });
  }
  if (s.firmware.kind === 'detector' && s.budgets.match !== false) {
    const bad = r.images.find((i) => i.match !== true);
    push({
      budget: 'match',
      unit: '',
      value: m.match ? 'matches' : 'differs',
      limit: 'matches',
      margin: null,
      pass: m.match === true,
      detail: bad ? `${bad.image}: ${bad.divergence ?? 'no reference'}` : undefined,
    });
  }
  const exited = m.exit.reason === 'exit';
  // A stop condition of the scenario's `until:` ended the run as asked: its status (0) is compared
  // like a firmware's own.
  const asked = exited || (s.until !== undefined && isStopReason(m.exit.reason));
  push({
    budget: 'exit',
    unit: '',
    value: exited ? String(m.exit.code) : `${m.exit.reason} (${m.exit.code})`,
    limit: String(s.exitCode),
    margin: null,
    pass: asked && m.exit.code === s.exitCode,
    detail: asked && m.exit.code === s.exitCode ? undefined : m.exit.message,
  });
  if (s.output !== undefined) {
    const found = m.output.includes(s.output);
    push({
      budget: 'output',
      unit: '',
      value: found ? 'contains' : 'missing',
      limit: JSON.stringify(s.output),
      margin: null,
      pass: found,
    });
  }
  let ok = rows.every((row) => row.ok);
  if (s.expect.outcome === 'fail' && s.expect.fail.length === 0) {
    // `expect: fail`: some budget must break; the firmware must still run to its end.
    const budgetFailed = rows.some((row) => !row.pass && row.budget !== 'exit' && row.budget !== 'output');
    const runOk = rows.every((row) => row.pass || (row.budget !== 'exit' && row.budget !== 'output'));
    for (const row of rows) {
      if (!row.pass && row.budget !== 'exit' && row.budget !== 'output') {
        row.expectedFail = true;
        row.ok = true;
        row.status = 'xfail';
      }
    }
    ok = budgetFailed && runOk;
  }
  return { scenario: s, result: r, rows, ok };
}

function cell(v: number | string, unit: BudgetRow['unit']): string {
  if (typeof v === 'string') return v;
  return unit === 'bytes' ? `${thousands(v)} B` : thousands(v);
}

function marginCell(row: BudgetRow): string {
  if (row.margin === null || typeof row.limit !== 'number') return '';
  const pct = row.limit === 0 ? '' : ` (${((100 * row.margin) / row.limit).toFixed(1)}%)`;
  return `${row.margin >= 0 ? '+' : ''}${cell(row.margin, row.unit)}${pct}`;
}

/** A fixed-width table of rows, one per scenario and budget. */
export function formatRows(verdicts: ScenarioVerdict[]): string {
  const header = ['scenario', 'budget', 'value', 'limit', 'margin', 'status'];
  const table: string[][] = [header];
  const after: string[] = [];
  for (const v of verdicts) {
    for (const row of v.rows) {
      table.push([
        row.scenario,
        row.budget,
        cell(row.value, row.unit),
        cell(row.limit, row.unit),
        marginCell(row),
        row.status,
      ]);
      if (row.detail && !row.pass) after.push(`  ${row.scenario} ${row.budget}: ${row.detail}`);
      if (row.status === 'XPASS')
        after.push(`  ${row.scenario} ${row.budget}: expected to fail but passed; update the scenario`);
    }
    for (const note of v.result.notes) after.push(`  ${v.scenario.name}: ${note}`);
    if (v.scenario.expect.outcome === 'fail' && v.scenario.expect.reason)
      after.push(`  ${v.scenario.name}: expected to fail: ${v.scenario.expect.reason}`);
  }
  const widths = header.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  const right = new Set([2, 3, 4]);
  const lines = table.map((r) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  return [...lines, ...after].join('\n') + '\n';
}

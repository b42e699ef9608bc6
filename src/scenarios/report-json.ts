// The JSON document of `m4sim check --json` (README "Scenarios and m4sim check", schema 1).
import { DEFAULT_TOLERANCE, type DeltaRow, type Tolerance } from './baseline.js';
import type { ScenarioVerdict } from './budgets.js';

export const CHECK_JSON_SCHEMA = 1;

export interface CheckOutcome {
  /** Every scenario within its budgets and, with a baseline, no regression. */
  ok: boolean;
  tolerance: Partial<Tolerance>;
  verdicts: ScenarioVerdict[];
  /** The baseline compared with (null: none). */
  baseline: { file: string; ok: boolean; rows: DeltaRow[] } | null;
}

export function checkJson(o: CheckOutcome) {
  return {
    schema: CHECK_JSON_SCHEMA,
    ok: o.ok,
    tolerance: { ...DEFAULT_TOLERANCE, ...o.tolerance },
    scenarios: o.verdicts.map((v) => ({
      name: v.scenario.name,
      file: v.scenario.displayFile,
      ok: v.ok,
      expect: v.scenario.expect,
      result: v.result,
      rows: v.rows,
    })),
    baseline: o.baseline,
  };
}

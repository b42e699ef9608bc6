// JUnit XML for CI: one <testsuite> per scenario, one <testcase> per budget row and baseline metric.
import type { DeltaRow } from './baseline.js';
import { thousands } from '../util/units.js';
import type { BudgetRow, ScenarioVerdict } from './budgets.js';

export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/[^\t\n\r\u0020-\uffff]/g, ''); // characters XML 1.0 cannot hold
}

function show(v: number | string, unit: BudgetRow['unit']): string {
  return typeof v === 'number' ? `${thousands(v)}${unit === 'bytes' ? ' B' : ''}` : v;
}

function rowCase(row: BudgetRow, classname: string): string {
  const attrs = `classname="${xmlEscape(classname)}" name="${xmlEscape(row.budget)}"`;
  const text = `${show(row.value, row.unit)} (limit ${show(row.limit, row.unit)})`;
  if (row.status === 'ERROR') {
    return `    <testcase ${attrs}><error message="${xmlEscape(row.detail ?? 'error')}"/></testcase>`;
  }
  if (!row.ok) {
    const why =
      row.status === 'XPASS'
        ? `${text}: expected to fail but passed`
        : `${text}${row.detail ? `: ${row.detail}` : ''}`;
    return `    <testcase ${attrs}><failure message="${xmlEscape(why)}"/></testcase>`;
  }
  const out = row.status === 'xfail' ? `expected failure: ${text}` : text;
  return `    <testcase ${attrs}><system-out>${xmlEscape(out)}</system-out></testcase>`;
}

function deltaCase(d: DeltaRow, classname: string): string {
  const attrs = `classname="${xmlEscape(classname)}" name="baseline.${d.metric}"`;
  const text = `${thousands(d.value)} vs baseline ${thousands(d.baseline)} (allowed ${thousands(d.allowed)})`;
  return d.pass
    ? `    <testcase ${attrs}><system-out>${xmlEscape(text)}</system-out></testcase>`
    : `    <testcase ${attrs}><failure message="${xmlEscape(text)}"/></testcase>`;
}

export function junitXml(verdicts: ScenarioVerdict[], deltas: DeltaRow[] = []): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let time = 0;
  for (const v of verdicts) {
    const name = v.scenario.name;
    const classname = `m4sim.check.${name}`;
    const mine = deltas.filter((d) => d.scenario === name);
    const cases = [...v.rows.map((r) => rowCase(r, classname)), ...mine.map((d) => deltaCase(d, classname))];
    const f = v.rows.filter((r) => !r.ok && r.status !== 'ERROR').length + mine.filter((d) => !d.pass).length;
    const e = v.rows.filter((r) => r.status === 'ERROR').length;
    tests += cases.length;
    failures += f;
    errors += e;
    time += v.result.wallSeconds;
    suites.push(
      `  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${f}" errors="${e}" skipped="0" time="${v.result.wallSeconds.toFixed(3)}" file="${xmlEscape(v.scenario.displayFile)}">\n` +
        `${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<testsuites name="m4sim check" tests="${tests}" failures="${failures}" errors="${errors}" time="${time.toFixed(3)}">\n` +
    (suites.length ? `${suites.join('\n')}\n` : '') +
    '</testsuites>\n'
  );
}

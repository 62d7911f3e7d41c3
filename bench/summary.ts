/**
 * The one table a reader looks at: every headline figure of the run beside its goal
 * (bench/targets.ts), with a verdict. Goals nobody measured in this run are listed too, so a
 * missing figure is visible rather than silently absent.
 */
import type { BenchReport, BenchRow } from './harness.js';
import { round } from './harness.js';
import { TARGETS, verdict, type Target } from './targets.js';

export interface SummaryRow {
  target: string;
  what: string;
  goal: string;
  measured: number | null;
  baseline: string;
  verdict: 'met' | 'NOT met' | 'reported' | 'not measured';
}

/**
 * `everyBench`: the run covered every bench file, so unmeasured goals are shown as such.
 * `quick`: a --quick run (smaller sizes): the verdicts are said to be indicative only.
 */
export function summarize(all: Record<string, BenchReport[]>, everyBench: boolean, quick = false): { rows: SummaryRow[]; report: BenchReport } {
  const measured = new Map<string, { value: number; baseline: string }>();
  for (const reports of Object.values(all)) {
    for (const r of reports) for (const f of r.figures ?? []) measured.set(f.target, { value: f.value, baseline: f.baseline ?? '' });
  }
  const rows: SummaryRow[] = [];
  for (const [key, target] of Object.entries(TARGETS) as [string, Target][]) {
    const m = measured.get(key);
    rows.push({
      target: key,
      what: target.what,
      goal: goal(target),
      measured: m ? round(m.value, 3) : null,
      baseline: m?.baseline ?? '',
      verdict: m ? verdict(m.value, target) : 'not measured',
    });
  }
  for (const key of measured.keys()) {
    if (!(key in TARGETS)) throw new Error(`bench figure names unknown target "${key}": add it to bench/targets.ts`);
  }
  const shown = rows.filter((r) => r.verdict !== 'not measured' || everyBench);
  const report: BenchReport = {
    title: 'Summary: figures against their goals (bench/targets.ts)',
    notes: [
      ...(shown.length === 0 ? ['(no headline figure in the benches of this run)'] : []),
      ...(quick ? ['--quick: smaller sizes and fewer rounds (each baseline text names the size); verdicts are indicative, the goals are judged on a full run.'] : []),
    ],
    rows: shown.map((r): BenchRow => ({ figure: r.what, goal: r.goal, measured: r.measured === null ? '-' : `${r.measured} ${unitOf(r.target)}`, baseline: r.baseline, verdict: r.verdict })),
  };
  return { rows, report };
}

function unitOf(key: string): string {
  return (TARGETS as Record<string, Target>)[key]!.unit;
}

function goal(t: Target): string {
  return t.max === undefined ? '(reported)' : `<= ${t.max} ${t.unit}`;
}

/**
 * The bench's summary table and goal table (bench/summary.ts, bench/targets.ts) and the
 * harness's interleaved rounds: what a reader of `npm run bench` relies on. Nothing here
 * times anything; figures are made up to drive the verdicts.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { formatTable, interleave, spreadOf, type BenchFigure, type BenchReport } from '../../bench/harness.js';
import { summarize } from '../../bench/summary.js';
import { TARGETS, verdict, type Target, type TargetKey } from '../../bench/targets.js';

const KEYS = Object.keys(TARGETS) as TargetKey[];
const withGoal = KEYS.find((k) => (TARGETS[k] as Target).max !== undefined)!;
const reportedOnly = KEYS.find((k) => (TARGETS[k] as Target).max === undefined)!;
const goalOf = (k: TargetKey) => (TARGETS[k] as Target).max!;

function run(figures: BenchFigure[]): Record<string, BenchReport[]> {
  return { one: [{ title: 'a bench', rows: [{ x: 1 }], figures }] };
}

describe('bench summary', () => {
  it('puts each figure beside its goal with a verdict: met, NOT met, reported', () => {
    const other = KEYS.find((k) => k !== withGoal && (TARGETS[k] as Target).max !== undefined)!;
    const { rows } = summarize(
      run([
        { target: withGoal, value: goalOf(withGoal), baseline: 'at the goal' },
        { target: other, value: goalOf(other) + 1, baseline: 'over' },
        { target: reportedOnly, value: 42, baseline: 'no goal' },
      ]),
      false,
    );
    const byKey = new Map(rows.map((r) => [r.target, r]));
    expect(byKey.get(withGoal)).toMatchObject({ measured: goalOf(withGoal), verdict: 'met', baseline: 'at the goal', goal: `<= ${goalOf(withGoal)} ${TARGETS[withGoal].unit}` });
    expect(byKey.get(other)).toMatchObject({ verdict: 'NOT met', baseline: 'over' });
    expect(byKey.get(reportedOnly)).toMatchObject({ measured: 42, verdict: 'reported', goal: '(reported)' });
    expect(verdict(goalOf(withGoal) - 0.001, TARGETS[withGoal])).toBe('met');
  });

  it('has one row per key of TARGETS, in the table order, whatever was measured', () => {
    const { rows } = summarize(run([{ target: withGoal, value: 1 }]), false);
    expect(rows.map((r) => r.target)).toEqual(KEYS);
    expect(rows.filter((r) => r.verdict !== 'not measured').map((r) => r.target)).toEqual([withGoal]);
  });

  it('refuses a figure that names no key of TARGETS', () => {
    expect(() => summarize(run([{ target: 'resolve1M' as TargetKey, value: 1 }]), false)).toThrow(/unknown target "resolve1M".*bench\/targets\.ts/);
  });

  it('lists the unmeasured goals as "not measured" in a full run and leaves them out of a partial one', () => {
    const full = summarize(run([{ target: withGoal, value: 1 }]), true);
    expect(full.report.rows).toHaveLength(KEYS.length);
    expect(full.report.rows.filter((r) => r.verdict === 'not measured')).toHaveLength(KEYS.length - 1);
    expect(full.report.rows.find((r) => r.verdict === 'not measured')).toMatchObject({ measured: '-' });

    const partial = summarize(run([{ target: withGoal, value: 1 }]), false);
    expect(partial.report.rows.map((r) => r.figure)).toEqual([TARGETS[withGoal].what]);
    const none = summarize({ one: [{ title: 't', rows: [] }] }, false);
    expect(none.report.rows).toEqual([]);
    expect(none.report.notes).toContain('(no headline figure in the benches of this run)');
    expect(formatTable(none.report)).not.toMatch(/\|\s*\|/);
  });

  it('says that a --quick run judges nothing', () => {
    expect(summarize(run([]), false, true).report.notes!.join('\n')).toMatch(/--quick.*indicative/);
    expect(summarize(run([]), false, false).report.notes!.join('\n')).not.toMatch(/--quick/);
  });
});

describe('the goal table', () => {
  it('documents every key in docs/benchmarks.md (what it measures, its baseline)', async () => {
    const doc = await readFile(new URL('../../docs/benchmarks.md', import.meta.url), 'utf8');
    const missing = KEYS.filter((k) => !doc.includes(`\`${k}\``));
    expect(missing).toEqual([]);
    for (const k of KEYS) {
      const t = TARGETS[k] as Target;
      // The doc quotes the goal as the table has it.
      if (t.max !== undefined) expect(doc, k).toMatch(new RegExp(`\`${k}\`[^\\n]*\\|[^\\n]*${String(t.max).replace('.', '\\.')}`));
    }
  });

  it('is linked from the README', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toMatch(/docs\/benchmarks\.md/);
  });
});

describe('interleave', () => {
  it('alternates which side goes first and reports medians and p25–p75 of both and of the per-round ratio', async () => {
    const order: string[] = [];
    const as = [10, 20, 30, 40, 50];
    const bs = [10, 10, 10, 10, 10];
    let ia = 0;
    let ib = 0;
    const result = await interleave({
      a: () => (order.push('a'), as[ia++ % as.length]!),
      b: async () => (order.push('b'), bs[ib++ % bs.length]!),
      rounds: 4,
      warmup: 1,
    });
    // warm-up a b, then rounds a b | b a | a b | b a
    expect(order.join('')).toBe('ab' + 'ab' + 'ba' + 'ab' + 'ba');
    expect(result.rounds).toBe(4);
    expect(result.a).toEqual(spreadOf([20, 30, 40, 50]));
    expect(result.b.median).toBe(10);
    expect(result.ratio.median).toBe(3.5);
    expect(result.ratio.p25).toBeCloseTo(2.75);
    expect(result.ratio.p75).toBeCloseTo(4.25);
  });

  it('spreadOf interpolates the quartiles and answers NaN for no samples', () => {
    expect(spreadOf([4, 1, 3, 2])).toEqual({ median: 2.5, p25: 1.75, p75: 3.25 });
    expect(spreadOf([7])).toEqual({ median: 7, p25: 7, p75: 7 });
    expect(Number.isNaN(spreadOf([]).median)).toBe(true);
  });
});

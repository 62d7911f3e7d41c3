/**
 * Is the new version healthy across the fleet? (pure). Every host writes its own counts for
 * the rollout's versions (healthReporter.ts); the decision sums the rows of every host, dead
 * ones included (what a host saw before it died still counts), and compares the new
 * version's sum with the rollout's budget:
 *
 *   1. Fewer than `minCalls` calls fleet-wide: not judged yet (within budget, but a stage
 *      does not advance on it).
 *   2. errors / calls above `maxErrorRate` (timeouts are errors): over budget.
 *   3. p99 above `maxP99Ms` (when set): over budget. Latency travels as cumulative counts at
 *      fixed bounds, so the fleet's p99 is exact to a bound: the smallest bound that covers 99 %.
 *   4. Otherwise within budget.
 */

/** Upper bounds (ms) of the latency summary every host writes (cumulative counts at each). */
export const HEALTH_BOUNDS_MS: readonly number[] = Object.freeze([1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000]);

export interface HealthCounts {
  calls: number;
  errors: number;
  timeouts: number;
  /** Calls that took at most HEALTH_BOUNDS_MS[i], per bound. */
  le: number[];
}

export interface RolloutBudget {
  /** Largest error rate (0…1) of the new version. */
  readonly maxErrorRate: number;
  /** Largest p99 latency in ms; undefined: latency is not judged. */
  readonly maxP99Ms: number | undefined;
  /** Calls the new version must have served fleet-wide before it is judged. */
  readonly minCalls: number;
}

export type HealthVerdict =
  | { readonly withinBudget: true; readonly judged: boolean; readonly errorRate: number; readonly p99Ms: number | undefined }
  | { readonly withinBudget: false; readonly judged: true; readonly errorRate: number; readonly p99Ms: number | undefined; readonly reason: string };

export function emptyHealth(): HealthCounts {
  return { calls: 0, errors: 0, timeouts: 0, le: HEALTH_BOUNDS_MS.map(() => 0) };
}

/** The fleet's sum of the hosts' rows. */
export function sumHealth(rows: readonly HealthCounts[]): HealthCounts {
  const sum = emptyHealth();
  for (const r of rows) {
    sum.calls += r.calls;
    sum.errors += r.errors;
    sum.timeouts += r.timeouts;
    for (let i = 0; i < sum.le.length; i++) sum.le[i]! += r.le[i] ?? 0;
  }
  return sum;
}

/** The smallest bound that covers 99 % of the calls (Infinity past the last bound), or undefined with no calls. */
export function p99Of(h: HealthCounts): number | undefined {
  if (h.calls === 0) return undefined;
  const rank = Math.ceil(0.99 * h.calls);
  for (let i = 0; i < HEALTH_BOUNDS_MS.length; i++) if (h.le[i]! >= rank) return HEALTH_BOUNDS_MS[i]!;
  return Infinity;
}

const pct = (rate: number) => `${(rate * 100).toFixed(2).replace(/\.?0+$/, '')}%`;

export function judgeHealth(h: HealthCounts, budget: RolloutBudget): HealthVerdict {
  const errorRate = h.calls === 0 ? 0 : h.errors / h.calls;
  const p99Ms = p99Of(h);
  if (h.calls < budget.minCalls || h.calls === 0) return { withinBudget: true, judged: budget.minCalls === 0, errorRate, p99Ms };
  if (errorRate > budget.maxErrorRate)
    return {
      withinBudget: false,
      judged: true,
      errorRate,
      p99Ms,
      reason: `error rate ${pct(errorRate)} (${h.errors} of ${h.calls} calls fleet-wide, ${h.timeouts} timeouts) is over the budget of ${pct(budget.maxErrorRate)}`,
    };
  if (budget.maxP99Ms !== undefined && p99Ms !== undefined && p99Ms > budget.maxP99Ms)
    return {
      withinBudget: false,
      judged: true,
      errorRate,
      p99Ms,
      reason: `p99 latency ${p99Ms === Infinity ? `above ${HEALTH_BOUNDS_MS.at(-1)} ms` : `≤ ${p99Ms} ms`} (over ${h.calls} calls fleet-wide) is over the budget of ${budget.maxP99Ms} ms`,
    };
  return { withinBudget: true, judged: true, errorRate, p99Ms };
}

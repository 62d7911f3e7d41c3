/** The pure parts of rollouts: the cohort hash, the option parsers, the state machine, the health decision. */
import { describe, expect, it } from 'vitest';
import {
  BUCKETS,
  cohortBucket,
  currentPercent,
  getsNewVersion,
  HEALTH_BOUNDS_MS,
  judgeHealth,
  nextStep,
  p99Of,
  parseDurationMs,
  parseRate,
  parseStages,
  parseTarget,
  ROLLOUT_TRANSITIONS,
  stageThreshold,
  sumHealth,
  transition,
  type HealthCounts,
  type RolloutEvent,
  type RolloutState,
} from '../../src/fleet/index.js';

const clients = Array.from({ length: 20_000 }, (_, i) => `c${i}`);

describe('the cohort', () => {
  it('is a stable bucket per (rollout, client), spread evenly, salted by the rollout id', () => {
    expect(cohortBucket('ro_a', 'acme')).toBe(cohortBucket('ro_a', 'acme'));
    const buckets = clients.map((c) => cohortBucket('ro_a', c));
    expect(Math.min(...buckets)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...buckets)).toBeLessThan(BUCKETS);
    const at10 = buckets.filter((b) => b < stageThreshold(10)).length / clients.length;
    expect(at10).toBeGreaterThan(0.09);
    expect(at10).toBeLessThan(0.11);
    const other = clients.map((c) => cohortBucket('ro_b', c) < stageThreshold(10));
    const overlap = clients.filter((c, i) => buckets[i]! < stageThreshold(10) && other[i]).length / clients.length;
    expect(overlap).toBeLessThan(0.03); // another rollout draws its own 10 %
  });

  it('is sticky as stages grow, and named clients come first', () => {
    const stages = [1, 10, 50, 100];
    const named = new Set(['vip']);
    let before = new Set<string>();
    for (const p of stages) {
      const now = new Set([...clients, 'vip'].filter((c) => getsNewVersion('ro_s', c, stageThreshold(p), named)));
      for (const c of before) expect(now.has(c)).toBe(true);
      expect(now.has('vip')).toBe(true);
      before = now;
    }
    expect(before.size).toBe(clients.length + 1);
    expect(getsNewVersion('ro_s', 'vip', 0, named)).toBe(true);
    expect(clients.some((c) => getsNewVersion('ro_s', c, 0, named))).toBe(false);
  });
});

describe('the option parsers', () => {
  it('read stages, durations, rates and targets as the CLI writes them', () => {
    expect(parseStages('1,10,50,100')).toEqual([1, 10, 50, 100]);
    expect(parseStages([25, 100])).toEqual([25, 100]);
    expect(parseDurationMs('5m', 'bake')).toBe(300_000);
    expect(parseDurationMs('200ms', 'maxP99')).toBe(200);
    expect(parseDurationMs('1.5s', 'bake')).toBe(1500);
    expect(parseDurationMs(750, 'bake')).toBe(750);
    expect(parseRate('1%', 'maxErrorRate')).toBe(0.01);
    expect(parseRate(0.05, 'maxErrorRate')).toBe(0.05);
    expect(parseTarget('billing@2.0.0-beta.1')).toEqual({ moduleId: 'billing', version: '2.0.0-beta.1' });
  });

  it('refuse what they cannot read with E_ROLLOUT_INVALID and an example', () => {
    for (const bad of ['10,1,100', '1,10', '0,100', 'x', '']) expect(() => parseStages(bad)).toThrow(expect.objectContaining({ code: 'E_ROLLOUT_INVALID' }));
    expect(() => parseStages('50,10')).toThrow(/e\.g\. 1,10,50,100/);
    expect(() => parseDurationMs('soon', 'bake')).toThrow(expect.objectContaining({ code: 'E_ROLLOUT_INVALID' }));
    expect(() => parseRate('120%', 'maxErrorRate')).toThrow(expect.objectContaining({ code: 'E_ROLLOUT_INVALID' }));
    expect(() => parseTarget('billing')).toThrow(/<module id>@<version>/);
  });
});

describe('the state machine', () => {
  const stages = [10, 100];
  const all: RolloutState[] = [
    { name: 'pending' },
    { name: 'running', stage: 0, since: 0 },
    { name: 'paused', stage: 0 },
    { name: 'promoting' },
    { name: 'completed' },
    { name: 'aborted', reason: 'x' },
    { name: 'rolled-back', reason: 'y' },
  ];
  const events: RolloutEvent[] = [
    { type: 'begin', at: 5 },
    { type: 'advance', at: 6 },
    { type: 'pause' },
    { type: 'resume', at: 7 },
    { type: 'finish' },
    { type: 'abort', reason: 'op' },
    { type: 'rollback', reason: 'budget' },
  ];

  it('accepts each event exactly in the states its table lists, and refuses the rest with E_ROLLOUT_STATE', () => {
    for (const s of all)
      for (const e of events) {
        if (ROLLOUT_TRANSITIONS[e.type].includes(s.name)) expect(() => transition(s, e, stages)).not.toThrow();
        else expect(() => transition(s, e, stages)).toThrow(expect.objectContaining({ code: 'E_ROLLOUT_STATE' }));
      }
  });

  it('walks the stages, then promotes; pause and resume restart the bake clock', () => {
    let s = transition({ name: 'pending' }, { type: 'begin', at: 100 }, stages);
    expect(s).toEqual({ name: 'running', stage: 0, since: 100 });
    expect(currentPercent(s, stages)).toBe(10);
    s = transition(s, { type: 'pause' }, stages);
    expect(s).toEqual({ name: 'paused', stage: 0 });
    s = transition(s, { type: 'resume', at: 200 }, stages);
    expect(s).toEqual({ name: 'running', stage: 0, since: 200 });
    s = transition(s, { type: 'advance', at: 300 }, stages);
    expect(currentPercent(s, stages)).toBe(100);
    s = transition(s, { type: 'advance', at: 400 }, stages);
    expect(s).toEqual({ name: 'promoting' });
    expect(transition(s, { type: 'finish' }, stages)).toEqual({ name: 'completed' });
    expect(currentPercent({ name: 'rolled-back', reason: 'r' }, stages)).toBe(0);
  });

  it('decides: begin a pending rollout, roll back over budget (paused too), advance only after the bake and once judged', () => {
    const ok = { withinBudget: true, judged: true, errorRate: 0, p99Ms: 5 } as const;
    const early = { withinBudget: true, judged: false, errorRate: 0, p99Ms: undefined } as const;
    const over = { withinBudget: false, judged: true, errorRate: 0.5, p99Ms: 5, reason: 'too many errors' } as const;
    expect(nextStep({ name: 'pending' }, 1000, ok, 5)).toEqual({ type: 'begin', at: 5 });
    expect(nextStep({ name: 'running', stage: 0, since: 0 }, 1000, ok, 999)).toBeUndefined();
    expect(nextStep({ name: 'running', stage: 0, since: 0 }, 1000, ok, 1000)).toEqual({ type: 'advance', at: 1000 });
    expect(nextStep({ name: 'running', stage: 0, since: 0 }, 1000, early, 5000)).toBeUndefined();
    expect(nextStep({ name: 'running', stage: 0, since: 0 }, 1000, over, 10)).toEqual({ type: 'rollback', reason: 'too many errors' });
    expect(nextStep({ name: 'paused', stage: 0 }, 1000, over, 10)).toEqual({ type: 'rollback', reason: 'too many errors' });
    expect(nextStep({ name: 'paused', stage: 0 }, 1000, ok, 1e9)).toBeUndefined();
    expect(nextStep({ name: 'promoting' }, 1000, over, 10)).toBeUndefined();
  });
});

describe('the health decision', () => {
  /** Counts with `latencies` spread over the bounds (each a call). */
  function counts(calls: number, errors: number, latencies: number[]): HealthCounts {
    return { calls, errors, timeouts: 0, le: HEALTH_BOUNDS_MS.map((b) => latencies.filter((l) => l <= b).length) };
  }

  it('sums the hosts and judges the fleet, not one host', () => {
    const a = counts(100, 0, Array(100).fill(3));
    const b = counts(100, 6, Array(100).fill(3));
    const budget = { maxErrorRate: 0.05, maxP99Ms: 200, minCalls: 50 };
    expect(judgeHealth(b, budget).withinBudget).toBe(false); // host b alone: 6 %
    expect(judgeHealth(sumHealth([a, b]), budget)).toMatchObject({ withinBudget: true, judged: true, errorRate: 0.03 }); // the fleet: 3 %
    const worse = judgeHealth(sumHealth([a, b, counts(100, 10, Array(100).fill(3))]), budget);
    expect(worse).toMatchObject({ withinBudget: false });
    expect(worse.withinBudget === false && worse.reason).toMatch(/error rate 5\.33% \(16 of 300 calls fleet-wide, 0 timeouts\) is over the budget of 5%/);
  });

  it('judges p99 from the merged latency summary, and nothing below minCalls', () => {
    const fast = counts(100, 0, [...Array(99).fill(40), 900]);
    expect(p99Of(fast)).toBe(50);
    const slow = counts(100, 0, [...Array(97).fill(40), 400, 400, 400]);
    expect(p99Of(slow)).toBe(500);
    expect(judgeHealth(slow, { maxErrorRate: 1, maxP99Ms: 200, minCalls: 0 })).toMatchObject({ withinBudget: false, reason: expect.stringMatching(/p99 latency ≤ 500 ms .* over the budget of 200 ms/) });
    expect(judgeHealth(slow, { maxErrorRate: 1, maxP99Ms: undefined, minCalls: 0 }).withinBudget).toBe(true);
    expect(judgeHealth(counts(10, 10, Array(10).fill(1)), { maxErrorRate: 0.01, maxP99Ms: undefined, minCalls: 20 })).toMatchObject({ withinBudget: true, judged: false });
  });
});

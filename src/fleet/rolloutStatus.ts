/**
 * What `rollout status` shows (host API, CLI, HTTP): the record, where it stands (stage,
 * percentage, bake time left), the fleet's health per version with the verdict against
 * the budget, each host's rows, and the history with every reason.
 */
import type { Store } from '../legacy-bridge/index.js';
import { judgeHealth, p99Of } from './healthDecision.js';
import { currentPercent } from './rolloutController.js';
import { healthOf, readHealth, rolloutHistory, type RolloutHistoryEntry, type RolloutRecord } from './rolloutStore.js';

export interface VersionHealth {
  calls: number;
  errors: number;
  timeouts: number;
  errorRate: number;
  /** The smallest latency bound covering 99 % of calls, in ms (null: no calls; Infinity is written as null too). */
  p99Ms: number | null;
}

export interface RolloutStatus {
  id: string;
  moduleId: string;
  fromVersion: string | null;
  toVersion: string;
  state: RolloutRecord['state']['name'];
  /** 1-based stage while running or paused. */
  stage: number | null;
  stages: number[];
  /** Share of clients (by hash) on the new version now, in percent. */
  percent: number;
  clients: string[];
  bakeMs: number;
  /** While running: time left before the stage may advance. */
  bakeLeftMs: number | null;
  budget: { maxErrorRate: number; maxP99Ms: number | null; minCalls: number };
  /** The new version's verdict now. */
  verdict: { withinBudget: boolean; judged: boolean; reason: string | null };
  /** Why it was aborted or rolled back. */
  reason: string | null;
  health: Record<string, VersionHealth>;
  hosts: { hostId: string; version: string; calls: number; errors: number; timeouts: number }[];
  history: RolloutHistoryEntry[];
  revision: number;
  createdAt: string;
  updatedAt: string;
}

export async function describeRollout(store: Store, r: RolloutRecord, nowMs: number): Promise<RolloutStatus> {
  const [{ byVersion, hosts }, history] = await Promise.all([readHealth(store, r.id), rolloutHistory(store, r.id)]);
  const verdict = judgeHealth(healthOf(byVersion, r.toVersion), r.budget);
  const health: Record<string, VersionHealth> = {};
  for (const [version, h] of byVersion) {
    const p99 = p99Of(h);
    health[version] = { calls: h.calls, errors: h.errors, timeouts: h.timeouts, errorRate: h.calls === 0 ? 0 : h.errors / h.calls, p99Ms: p99 === undefined || p99 === Infinity ? null : p99 };
  }
  const s = r.state;
  return {
    id: r.id,
    moduleId: r.moduleId,
    fromVersion: r.fromVersion ?? null,
    toVersion: r.toVersion,
    state: s.name,
    stage: s.name === 'running' || s.name === 'paused' ? s.stage + 1 : null,
    stages: [...r.stages],
    percent: currentPercent(s, r.stages),
    clients: [...r.clients],
    bakeMs: r.bakeMs,
    bakeLeftMs: s.name === 'running' ? Math.max(0, Math.round(s.since + r.bakeMs - nowMs)) : null,
    budget: { maxErrorRate: r.budget.maxErrorRate, maxP99Ms: r.budget.maxP99Ms ?? null, minCalls: r.budget.minCalls },
    verdict: { withinBudget: verdict.withinBudget, judged: verdict.judged, reason: verdict.withinBudget ? null : verdict.reason },
    reason: s.name === 'aborted' || s.name === 'rolled-back' ? s.reason : null,
    health,
    hosts: hosts.map((h) => ({ hostId: h.hostId, version: h.version, calls: h.calls, errors: h.errors, timeouts: h.timeouts })),
    history,
    revision: r.revision,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** The human lines of one status (the CLI prints them; docs/rollouts.md shows an example). */
export function formatRolloutStatus(s: RolloutStatus): string {
  const pct = (x: number) => `${(x * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
  const where =
    s.state === 'running' || s.state === 'paused'
      ? `stage ${s.stage}/${s.stages.length} (${s.percent}%)${s.bakeLeftMs !== null ? `, bake ${Math.ceil(s.bakeLeftMs / 1000)} s left` : ''}`
      : `${s.percent}%`;
  const lines = [`${s.id}  ${s.moduleId} ${s.fromVersion ?? '?'} -> ${s.toVersion}  ${s.state}  ${where}`];
  lines.push(`  stages ${s.stages.join(',')}  bake ${s.bakeMs} ms  budget: errors ≤ ${pct(s.budget.maxErrorRate)}${s.budget.maxP99Ms !== null ? `, p99 ≤ ${s.budget.maxP99Ms} ms` : ''}, judged after ${s.budget.minCalls} calls`);
  if (s.clients.length) lines.push(`  named clients first: ${s.clients.join(', ')}`);
  for (const [version, h] of Object.entries(s.health))
    lines.push(`  ${version.padEnd(10)} ${h.calls} calls, ${h.errors} errors (${pct(h.errorRate)}), ${h.timeouts} timeouts, p99 ${h.p99Ms === null ? '-' : `≤ ${h.p99Ms} ms`}`);
  if (s.reason) lines.push(`  reason: ${s.reason}`);
  else if (s.verdict.reason) lines.push(`  over budget: ${s.verdict.reason}`);
  const last = s.history.at(-1);
  if (last) lines.push(`  last change: ${last.event} -> ${last.to} at ${last.at}${last.hostId ? ` by ${last.hostId}` : ''}`);
  return lines.join('\n');
}

/**
 * What the host reports about its modules: `host.status()`, `host.metrics()` and
 * `host.prometheus()`, read from the module table's snapshots and the call metrics.
 */
import type { Isolation } from '../registry/index.js';
import type { CallMetrics, HostMetricsSnapshot } from './callMetrics.js';
import { describeState, gateOf, lifecycleName, servingInstance } from './moduleState.js';
import { isCandidate, type ModuleTable } from './moduleTable.js';
import type { ModuleStatus } from './types.js';

/** Every module's status, sorted by id. `swapping` is reported as `active` (with `holdingCalls` while the gate is closed). */
export function moduleStatuses(table: ModuleTable, metrics: CallMetrics, defaultIsolation: Isolation): ModuleStatus[] {
  const out: ModuleStatus[] = [];
  for (const id of table.ids().sort()) {
    const r = table.get(id)!;
    const m = r.pkg.manifest;
    const state = r.state;
    const { reason, code } = describeState(state);
    const serving = servingInstance(state);
    const sm = serving?.sandbox.metrics();
    out.push({
      id,
      version: m.version,
      ...(isCandidate(r) ? { candidateOf: m.id } : {}),
      state: lifecycleName(state.name),
      ...(reason !== undefined ? { reason } : {}),
      ...(code !== undefined ? { code } : {}),
      ...(state.name === 'failed' && state.quarantine ? { quarantined: true } : {}),
      activation: m.activation,
      isolation: m.isolation ?? defaultIsolation,
      provides: { ...m.provides },
      requires: { ...m.requires },
      bindings: { ...r.bindings, ...r.optionalBindings },
      dir: r.pkg.dir,
      ...(serving ? { activatedAt: new Date(serving.activatedAt).toISOString() } : {}),
      ...(r.activationMs !== undefined ? { activationMs: r.activationMs } : {}),
      restarts: r.restarts,
      ...(state.name === 'failed' && state.restartAt !== undefined ? { nextRestartAt: new Date(state.restartAt).toISOString() } : {}),
      stateful: serving?.stateful ?? false,
      holdingCalls: gateOf(state) !== undefined,
      metrics: metrics.module(id, sm && { heapUsedBytes: sm.heapUsedBytes, heapLimitBytes: sm.heapLimitBytes, cpuTimeNs: sm.cpuTimeNs }),
    });
  }
  return out;
}

/** `host.metrics()`: per module (from its status) and the swap counters. */
export function hostMetrics(statuses: readonly ModuleStatus[], metrics: CallMetrics): HostMetricsSnapshot {
  const modules: HostMetricsSnapshot['modules'] = {};
  for (const s of statuses) {
    modules[s.id] = { ...s.metrics, state: s.state, version: s.version, restarts: s.restarts, ...(s.activationMs !== undefined ? { activationMs: s.activationMs } : {}) };
  }
  return { modules, swaps: { ...metrics.swaps } };
}

/** `host.prometheus()`: the Prometheus text of the call metrics and each module's sandbox. */
export function prometheusText(statuses: readonly ModuleStatus[], metrics: CallMetrics): Promise<string> {
  return metrics.prometheus(
    statuses.map((s) => ({
      id: s.id,
      version: s.version,
      state: s.state,
      ...(s.metrics.heapUsedBytes !== undefined
        ? { sandbox: { heapUsedBytes: s.metrics.heapUsedBytes, heapLimitBytes: s.metrics.heapLimitBytes ?? 0, cpuTimeNs: s.metrics.cpuTimeNs ?? 0 } }
        : {}),
    })),
  );
}

/** The console's modules table: one row per module, from host.status() (state, version, metrics, heap). */
import type { Host } from '../../index.js';

export interface ModuleRow {
  id: string;
  version: string;
  state: string;
  holdingCalls: boolean;
  activatedAt: string | null;
  /** How long its last activation took. */
  activationMs: number | null;
  calls: number;
  errors: number;
  /** errors / calls, 0 without calls. */
  errorRate: number;
  p50: number;
  p99: number;
  heapUsedBytes: number | null;
  heapLimitBytes: number | null;
  restarts: number;
  reason: string | null;
}

export function moduleRows(host: Host): ModuleRow[] {
  return host.status().map((s) => ({
    id: s.id,
    version: s.version,
    state: s.state,
    holdingCalls: s.holdingCalls,
    activatedAt: s.activatedAt ?? null,
    activationMs: s.activationMs ?? null,
    calls: s.metrics.calls,
    errors: s.metrics.errors,
    errorRate: s.metrics.calls > 0 ? s.metrics.errors / s.metrics.calls : 0,
    p50: s.metrics.latencyMs.p50,
    p99: s.metrics.latencyMs.p99,
    heapUsedBytes: s.metrics.heapUsedBytes ?? null,
    heapLimitBytes: s.metrics.heapLimitBytes ?? null,
    restarts: s.restarts,
    reason: s.reason ?? null,
  }));
}

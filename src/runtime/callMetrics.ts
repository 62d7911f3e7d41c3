/**
 * Call metrics per module and capability: calls, errors, timeouts and a latency
 * histogram, updated on the invoke hot path (plain counters, no allocation). prom-client
 * is only touched when `host.prometheus()` is called, with a Registry of the host's own.
 */
import { Registry, Gauge } from 'prom-client';
import { LatencyHistogram } from './latencyHistogram.js';

/** The counters of one (module, capability) pair. Held by the router, mutated in place. */
export class CapabilityStats {
  calls = 0;
  errors = 0;
  timeouts = 0;
  readonly latency = new LatencyHistogram();
  constructor(
    readonly moduleId: string,
    readonly capability: string,
  ) {}
}

export interface LatencySnapshot {
  p50: number;
  p95: number;
  p99: number;
  count: number;
}

export interface CapabilityMetricsSnapshot {
  calls: number;
  errors: number;
  timeouts: number;
  latencyMs: LatencySnapshot;
}

export interface ModuleMetricsSnapshot extends CapabilityMetricsSnapshot {
  capabilities: Record<string, CapabilityMetricsSnapshot>;
  heapUsedBytes?: number;
  heapLimitBytes?: number;
  cpuTimeNs?: number;
}

export interface HostMetricsSnapshot {
  modules: Record<string, ModuleMetricsSnapshot & { state: string; version: string; activationMs?: number; restarts: number }>;
  swaps: { succeeded: number; failed: number; refused: number };
}

export interface SandboxFigures {
  heapUsedBytes: number;
  heapLimitBytes: number;
  cpuTimeNs: number;
}

function latencyOf(h: LatencyHistogram): LatencySnapshot {
  return { p50: h.percentile(50), p95: h.percentile(95), p99: h.percentile(99), count: h.count };
}

/** All counters of a host, by module id then capability. Survives swaps (same module id). */
export class CallMetrics {
  readonly #byModule = new Map<string, Map<string, CapabilityStats>>();
  readonly swaps = { succeeded: 0, failed: 0, refused: 0 };

  /** The stats object for a pair, created once; the router keeps the reference. */
  stats(moduleId: string, capability: string): CapabilityStats {
    let caps = this.#byModule.get(moduleId);
    if (!caps) this.#byModule.set(moduleId, (caps = new Map()));
    let s = caps.get(capability);
    if (!s) caps.set(capability, (s = new CapabilityStats(moduleId, capability)));
    return s;
  }

  /** One module's counters summed over its capabilities, with the merged latency histogram (a rollout's health sample). */
  totals(moduleId: string): { calls: number; errors: number; timeouts: number; latency: LatencyHistogram } {
    const out = { calls: 0, errors: 0, timeouts: 0, latency: new LatencyHistogram() };
    for (const s of this.#byModule.get(moduleId)?.values() ?? []) {
      out.calls += s.calls;
      out.errors += s.errors;
      out.timeouts += s.timeouts;
      out.latency.merge(s.latency);
    }
    return out;
  }

  module(moduleId: string, sandbox?: SandboxFigures): ModuleMetricsSnapshot {
    const total = new LatencyHistogram();
    const out: ModuleMetricsSnapshot = { calls: 0, errors: 0, timeouts: 0, latencyMs: latencyOf(total), capabilities: {} };
    for (const [cap, s] of this.#byModule.get(moduleId) ?? []) {
      out.calls += s.calls;
      out.errors += s.errors;
      out.timeouts += s.timeouts;
      total.merge(s.latency);
      out.capabilities[cap] = { calls: s.calls, errors: s.errors, timeouts: s.timeouts, latencyMs: latencyOf(s.latency) };
    }
    out.latencyMs = latencyOf(total);
    if (sandbox) Object.assign(out, sandbox);
    return out;
  }

  /** Prometheus text: a fresh Registry per call, filled from the counters (no hot-path cost). */
  async prometheus(modules: readonly { id: string; version: string; state: string; sandbox?: SandboxFigures }[]): Promise<string> {
    const registry = new Registry();
    const g = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [registry] });
    const calls = g('hotmod_calls_total', 'Calls routed to a module capability', ['module', 'capability']);
    const errors = g('hotmod_call_errors_total', 'Calls that failed (timeouts included)', ['module', 'capability']);
    const timeouts = g('hotmod_call_timeouts_total', 'Calls that timed out', ['module', 'capability']);
    const quantiles = g('hotmod_call_latency_ms', 'Call latency quantiles in milliseconds', ['module', 'capability', 'quantile']);
    const up = g('hotmod_module_active', '1 when the module is active', ['module', 'version', 'state']);
    const heap = g('hotmod_module_heap_used_bytes', 'Heap used by the module isolate', ['module']);
    const heapLimit = g('hotmod_module_heap_limit_bytes', 'Heap limit of the module isolate', ['module']);
    const cpu = g('hotmod_module_cpu_seconds', 'CPU time spent in the module isolate', ['module']);
    const swaps = g('hotmod_swaps_total', 'Swaps by outcome', ['outcome']);
    for (const m of modules) {
      up.set({ module: m.id, version: m.version, state: m.state }, m.state === 'active' ? 1 : 0);
      if (m.sandbox) {
        heap.set({ module: m.id }, m.sandbox.heapUsedBytes);
        heapLimit.set({ module: m.id }, m.sandbox.heapLimitBytes);
        cpu.set({ module: m.id }, m.sandbox.cpuTimeNs / 1e9);
      }
    }
    for (const [moduleId, caps] of this.#byModule) {
      for (const [capability, s] of caps) {
        const labels = { module: moduleId, capability };
        calls.set(labels, s.calls);
        errors.set(labels, s.errors);
        timeouts.set(labels, s.timeouts);
        for (const q of [50, 95, 99]) quantiles.set({ ...labels, quantile: String(q / 100) }, s.latency.percentile(q));
      }
    }
    for (const [outcome, n] of Object.entries(this.swaps)) swaps.set({ outcome }, n);
    return registry.metrics();
  }
}

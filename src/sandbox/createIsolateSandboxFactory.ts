/**
 * The isolate sandbox factory: one isolated-vm isolate per module version, in this
 * process. The runtime gets a SandboxFactory and never sees isolated-vm.
 */
import { HotmodError } from '../errors.js';
import { DEFAULT_MAX_CALL_DEPTH, DEFAULT_MAX_CALL_HOPS } from './callChain.js';
import { DEFAULT_CPU_BUDGET_MS, DEFAULT_CPU_WINDOW_MS } from './cpuBudget.js';
import { durationRule, isDuration } from './durations.js';
import { SandboxErrorCode } from './errors.js';
import { EVALUATED_EXPORT } from './bridgeSource.js';
import { planCompile } from './codeCache.js';
import { loadSetupCache, prepareIsolate } from './isolateSetup.js';
import { IsolateSandbox, type ExecutionMode, type IsolateSandboxSettings } from './isolateSandbox.js';
import type { Sandbox, SandboxFactory, SandboxOptions } from './types.js';

export interface IsolateSandboxFactoryOptions {
  /**
   * 'sync' (default): enter the isolate with applySync, ~7 µs a call; a module's running
   * code holds the host's event loop (bounded by its timeouts). 'async': enter with
   * apply, ~100 µs a call, and the event loop stays free while module code runs (a
   * pathological allocation fails within the call timeout). See docs/sandbox.md.
   */
  execution?: ExecutionMode;
  /** Largest JSON text (characters) a value may have when it crosses the boundary. Default 8 MiB. */
  maxPayloadLength?: number;
  /** Most pending timers one module may hold. Default 1000. */
  maxTimers?: number;
  /** Default CPU budget (ms per cpuWindowMs) of sandboxes whose limits do not say. Default 5000. */
  cpuBudgetMs?: number;
  /** Default sliding window of the CPU budget (ms). Default 10000. */
  cpuWindowMs?: number;
  /** Deepest chain of module-to-module calls under one call (E_CALL_CHAIN_LIMIT past it). Default 16. */
  maxCallDepth?: number;
  /** Most module-to-module calls one call may make, its callees' included (E_CALL_CHAIN_LIMIT past it). Default 10000. */
  maxCallHops?: number;
}

/** isolated-vm's floor for memoryLimit. */
export const MIN_MEMORY_MB = 8;

export function createIsolateSandboxFactory(options: IsolateSandboxFactoryOptions = {}): SandboxFactory {
  const settings: IsolateSandboxSettings = {
    execution: options.execution ?? 'sync',
    maxPayloadLength: options.maxPayloadLength ?? 8 * 1024 * 1024,
    maxTimers: options.maxTimers ?? 1000,
    maxCallDepth: options.maxCallDepth ?? DEFAULT_MAX_CALL_DEPTH,
    maxCallHops: options.maxCallHops ?? DEFAULT_MAX_CALL_HOPS,
    cpuBudgetMs: options.cpuBudgetMs ?? DEFAULT_CPU_BUDGET_MS,
    cpuWindowMs: options.cpuWindowMs ?? DEFAULT_CPU_WINDOW_MS,
  };
  if (!isDuration(settings.cpuBudgetMs) || !isDuration(settings.cpuWindowMs)) {
    throw optionsError(`cpuBudgetMs and cpuWindowMs ${durationRule(isDuration(settings.cpuBudgetMs) ? settings.cpuWindowMs : settings.cpuBudgetMs)}`);
  }
  if (!(settings.maxCallDepth >= 1) || !(settings.maxCallHops >= 1)) {
    throw optionsError(`maxCallDepth and maxCallHops must be 1 or more (got ${settings.maxCallDepth}, ${settings.maxCallHops})`);
  }
  if (settings.execution !== 'sync' && settings.execution !== 'async') {
    throw optionsError(`execution must be 'sync' or 'async', got ${JSON.stringify(settings.execution)}`);
  }
  if (!(settings.maxPayloadLength > 0) || !(settings.maxTimers >= 0)) {
    throw optionsError(`maxPayloadLength must be positive and maxTimers zero or more (got ${settings.maxPayloadLength}, ${settings.maxTimers})`);
  }
  /** Creates in progress: with more than one, isolates are prepared on their own threads (prepareIsolate). */
  let creating = 0;
  return {
    async create(sandboxOptions: SandboxOptions): Promise<Sandbox> {
      const { limits, moduleId } = sandboxOptions;
      if (!(typeof limits?.memoryMb === 'number' && limits.memoryMb > 0 && Number.isFinite(limits.memoryMb))) {
        throw optionsError(`module '${moduleId}': limits.memoryMb must be a positive number, got ${String(limits?.memoryMb)}`);
      }
      for (const key of ['callTimeoutMs', 'activateTimeoutMs', 'deactivateTimeoutMs'] as const) {
        if (!isDuration(limits[key])) throw optionsError(`module '${moduleId}': limits.${key} ${durationRule(limits[key])}`);
      }
      for (const key of ['cpuBudgetMs', 'cpuWindowMs'] as const) {
        if (limits[key] !== undefined && !isDuration(limits[key])) throw optionsError(`module '${moduleId}': limits.${key} ${durationRule(limits[key])}`);
      }
      if (typeof sandboxOptions.code !== 'string') throw optionsError(`module '${moduleId}': code must be the bundle's source text`);
      creating++;
      try {
        const [plan] = await Promise.all([planCompile(sandboxOptions.code, EVALUATED_EXPORT, sandboxOptions.codeCache), loadSetupCache(sandboxOptions.codeCache)]);
        const memoryMb = Math.max(MIN_MEMORY_MB, Math.ceil(limits.memoryMb));
        const prepared = await prepareIsolate(sandboxOptions, memoryMb, plan, creating > 1);
        return await IsolateSandbox.open(sandboxOptions, settings, memoryMb, prepared);
      } finally {
        creating--;
      }
    },
  };
}

function optionsError(reason: string): HotmodError {
  return new HotmodError(SandboxErrorCode.OPTIONS_INVALID, `isolate sandbox: ${reason}; fix the option`, {});
}

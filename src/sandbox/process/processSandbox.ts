/**
 * The parent-side handle on a sandbox that lives in a child process. It implements the
 * same `Sandbox` contract as the in-process one: every operation becomes a request to the
 * child, bounded by a timer here too (the child may be frozen), and the sandbox's state
 * follows what the child reports. `metrics()` is synchronous, so it answers from the last
 * heartbeat plus the counters kept here (which also see timeouts the child never saw).
 */
import { HotmodError, isHotmodError } from '../../errors.js';
import type {
  ActivateContext,
  ActivatedModule,
  CallContext,
  Sandbox,
  SandboxMetrics,
  SandboxOptions,
  SandboxState,
} from '../types.js';
import { ProcessSandboxErrorCode } from './errors.js';
import { invalidDuration, isDuration } from '../durations.js';
import { hopToWire, takeHop } from '../callChain.js';
import type { SandboxChild } from './sandboxChild.js';

/** Extra time the parent gives activate/deactivate over the limit, so the child's own
 * (more precise) timeout error normally wins and the parent's only fires on a frozen child. */
const PHASE_MARGIN_MS = 1000;
const DISPOSE_TIMEOUT_MS = 2000;
const SANDBOX_STATES = new Set<string>(['loaded', 'activating', 'active', 'deactivating', 'disposed']);

export interface ProcessSandboxOwner {
  /** The sandbox is gone (disposed or dead): free its place on the child. */
  release(sandbox: ProcessSandbox): void;
}

export class ProcessSandbox implements Sandbox {
  readonly moduleId: string;
  readonly version: string;
  readonly id: number;
  readonly options: SandboxOptions;
  readonly child: SandboxChild;
  #owner: ProcessSandboxOwner;
  #state: SandboxState = 'loaded';
  /** Set once the sandbox is unusable: why later operations fail. */
  #gone: HotmodError | undefined;
  #remote: SandboxMetrics | undefined;
  #calls = 0;
  #errors = 0;
  #timeouts = 0;
  #onState = (state: string | undefined): void => {
    if (this.#gone === undefined && state !== undefined && SANDBOX_STATES.has(state)) this.#state = state as SandboxState;
  };
  #countFailure = (error: unknown): never => {
    this.#errors++;
    if (isHotmodError(error, ProcessSandboxErrorCode.CALL_TIMEOUT)) this.#timeouts++;
    throw error;
  };

  constructor(id: number, options: SandboxOptions, child: SandboxChild, owner: ProcessSandboxOwner) {
    this.id = id;
    this.options = options;
    this.moduleId = options.moduleId;
    this.version = options.version;
    this.child = child;
    this.#owner = owner;
  }

  get state(): SandboxState {
    return this.#state;
  }

  /** Loads the bundle in the child (the factory's `create`). */
  async load(): Promise<void> {
    // The code cache store stays here: the child compiles from source (it holds functions, which do not cross).
    const { log: _log, callCapability: _call, onFatal: _fatal, codeCache: _codeCache, ...wire } = this.options;
    const timeoutMs = this.options.limits.activateTimeoutMs + PHASE_MARGIN_MS;
    await this.child.request({ type: 'create', sandboxId: this.id, options: wire }, timeoutMs, () => this.#timeout(ProcessSandboxErrorCode.ACTIVATE_TIMEOUT, 'load', timeoutMs), this.#onState);
  }

  async activate(ctx: ActivateContext): Promise<ActivatedModule> {
    this.#assertUsable();
    this.#state = 'activating';
    const timeoutMs = this.options.limits.activateTimeoutMs + PHASE_MARGIN_MS;
    return (await this.child.request(
      { type: 'activate', sandboxId: this.id, ctx },
      timeoutMs,
      () => this.#timeout(ProcessSandboxErrorCode.ACTIVATE_TIMEOUT, 'activate', timeoutMs),
      this.#onState,
    )) as ActivatedModule;
  }

  call(capability: string, method: string, input: unknown, context: CallContext, timeoutMs?: number): Promise<unknown> {
    this.#calls++;
    if (this.#gone !== undefined) {
      this.#errors++;
      return Promise.reject(this.#gone);
    }
    if (timeoutMs !== undefined && !isDuration(timeoutMs)) {
      this.#errors++;
      return Promise.reject(invalidDuration(`the timeoutMs of a call to '${capability}.${method}'`, timeoutMs, { moduleId: this.moduleId, version: this.version }));
    }
    const own = timeoutMs ?? this.options.limits.callTimeoutMs;
    // One hop of a chain of module calls: the chain's deadline bounds it too (callChain.ts).
    // The child gets the call's own timeout and the hop, and shortens it there.
    const hop = takeHop();
    const budget = hop === undefined ? own : Math.max(1, Math.min(own, hop.deadline - performance.now()));
    return this.child
      .request(
        { type: 'call', sandboxId: this.id, capability, method, input, context, timeoutMs: own, ...(hop === undefined ? {} : { hop: hopToWire(hop) }) },
        budget,
        () => this.#timeout(ProcessSandboxErrorCode.CALL_TIMEOUT, `call ${capability}.${method}`, budget),
      )
      .catch(this.#countFailure);
  }

  async deactivate(): Promise<unknown> {
    this.#assertUsable();
    this.#state = 'deactivating';
    const timeoutMs = this.options.limits.deactivateTimeoutMs + PHASE_MARGIN_MS;
    return this.child.request({ type: 'deactivate', sandboxId: this.id }, timeoutMs, () => this.#timeout(ProcessSandboxErrorCode.DEACTIVATE_TIMEOUT, 'deactivate', timeoutMs), this.#onState);
  }

  metrics(): SandboxMetrics {
    const remote = this.#remote;
    return {
      heapUsedBytes: remote?.heapUsedBytes ?? 0,
      heapLimitBytes: remote?.heapLimitBytes ?? this.options.limits.memoryMb * 1024 * 1024,
      cpuTimeNs: remote?.cpuTimeNs ?? 0,
      wallTimeNs: remote?.wallTimeNs ?? 0,
      calls: this.#calls,
      errors: this.#errors,
      timeouts: this.#timeouts,
    };
  }

  async dispose(): Promise<void> {
    if (this.#gone !== undefined) return;
    this.#markGone(
      new HotmodError(
        ProcessSandboxErrorCode.SANDBOX_DISPOSED,
        `sandbox of module '${this.moduleId}'@${this.version} is disposed: the call was cancelled; call the module's current version`,
        { moduleId: this.moduleId, version: this.version },
      ),
    );
    try {
      await this.child.request({ type: 'dispose', sandboxId: this.id }, DISPOSE_TIMEOUT_MS, () => this.#timeout(ProcessSandboxErrorCode.DEACTIVATE_TIMEOUT, 'dispose', DISPOSE_TIMEOUT_MS));
    } catch {
      // A dead or frozen child frees the isolate by dying; dispose itself never fails.
    } finally {
      this.#owner.release(this);
    }
  }

  /** @internal Heartbeat feed. */
  setRemoteMetrics(metrics: SandboxMetrics): void {
    this.#remote = metrics;
  }

  /**
   * @internal The child died or the isolate inside it did: fail what is pending, mark the
   * sandbox gone and tell the runtime through `onFatal` (unless the factory is closing).
   */
  fail(error: HotmodError, notify: boolean): void {
    if (this.#gone !== undefined) return;
    this.#markGone(error);
    this.#owner.release(this);
    if (!notify) return;
    try {
      this.options.onFatal(error);
    } catch {
      // The runtime's handler failing must not break supervision of the other sandboxes.
    }
  }

  #markGone(error: HotmodError): void {
    this.#gone ??= error;
    this.#state = 'disposed';
    this.child.rejectSandbox(this.id, error);
  }

  #assertUsable(): void {
    if (this.#gone !== undefined) throw this.#gone;
  }

  #timeout(code: ProcessSandboxErrorCode, phase: string, timeoutMs: number): HotmodError {
    const limit = code === ProcessSandboxErrorCode.CALL_TIMEOUT ? 'limits.callTimeoutMs / the per-call timeoutMs' : code === ProcessSandboxErrorCode.ACTIVATE_TIMEOUT ? 'limits.activateTimeoutMs' : 'limits.deactivateTimeoutMs';
    return new HotmodError(
      code,
      `module '${this.moduleId}'@${this.version}: ${phase} timed out after ${timeoutMs} ms in child process ${this.child.pid}; ` +
        `make it finish sooner (no endless loops, no awaiting forever) or raise ${limit}`,
      { moduleId: this.moduleId, version: this.version, phase, timeoutMs, pid: this.child.pid ?? null },
    );
  }
}

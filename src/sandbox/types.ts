/**
 * The sandbox contract: one module version in one V8 isolate (or, with
 * `isolation: 'process'`, in a supervised child process behind the same interface).
 * The runtime only ever sees these types; isolated-vm never leaks past src/sandbox.
 */
import type { Permission } from '../registry/index.js';
import type { FetchPolicy } from './fetchService.js';

export type { FetchPolicy } from './fetchService.js';

/** Required limits: the runtime always decides them (manifest value or host default). */
export interface SandboxLimits {
  memoryMb: number;
  callTimeoutMs: number;
  activateTimeoutMs: number;
  deactivateTimeoutMs: number;
  /**
   * CPU the module may use over any cpuWindowMs (its isolate's own clock, all entries:
   * calls, timers, answers). Over it the module is stopped (onFatal, E_SANDBOX_CPU_BUDGET).
   * Default: the factory's, else 5000 ms per 10000 ms.
   */
  cpuBudgetMs?: number;
  cpuWindowMs?: number;
}

/** What a method receives as its second argument (`call`), minus `capability()`. */
export interface CallContext {
  clientId: string;
  requestId: string;
  settings: Readonly<Record<string, unknown>>;
}

/** A call a module makes through `call.capability(name).method(input)`. */
export interface OutgoingCall {
  /** The calling module. */
  moduleId: string;
  capability: string;
  method: string;
  input: unknown;
  /** The context of the call being served when the module made this call. */
  caller: CallContext;
}

export type LogLevel = 'info' | 'warn' | 'error';

export interface SandboxOptions {
  moduleId: string;
  version: string;
  /** The bundle: one self-contained ES module. */
  code: string;
  /** Shown in stack traces, e.g. the entry's absolute path. */
  filename: string;
  permissions: readonly Permission[];
  limits: SandboxLimits;
  /** What `fetch` may reach (only with the `fetch` permission; absent: every fetch is refused). Plain JSON. */
  fetch?: FetchPolicy;
  /**
   * Where the bundle's compiled code is kept across restarts (codeCache.ts). Absent: only
   * within this process. The process sandbox does not use it.
   */
  codeCache?: CodeCacheStore;
  /** The host side of `ctx.log` (only wired when `log` is granted). */
  log(level: LogLevel, message: string, data?: unknown): void;
  /** The host side of `call.capability(...)`: the runtime routes and checks it. */
  callCapability(call: OutgoingCall): Promise<unknown>;
  /** The isolate died (out of memory, disposed, child crashed): the runtime restarts or fails it. */
  onFatal(error: Error): void;
}

/** Bytes by key, kept by the runtime (one store per module package). Best effort: neither method throws. */
export interface CodeCacheStore {
  /** What was written under `key`, or undefined. */
  read(key: string): Promise<Uint8Array | undefined>;
  /** Keeps `data` under `key`, in the background, in place of what the module had before. */
  write(key: string, data: Uint8Array): void;
}

export interface ActivateContext {
  config: unknown;
  previousState: unknown;
}

export interface ActivatedModule {
  /** capability name -> method names the module exposes. */
  capabilities: Record<string, string[]>;
  /** True when the module exports `deactivate` (a stateful module, for the swap). */
  hasDeactivate: boolean;
}

export interface SandboxMetrics {
  heapUsedBytes: number;
  heapLimitBytes: number;
  cpuTimeNs: number;
  wallTimeNs: number;
  calls: number;
  errors: number;
  timeouts: number;
}

export type SandboxState = 'loaded' | 'activating' | 'active' | 'deactivating' | 'disposed';

/** An opaque handle on one module version's isolate. */
export interface Sandbox {
  readonly moduleId: string;
  readonly version: string;
  readonly state: SandboxState;
  /** Runs the module's `activate(ctx)` within `activateTimeoutMs`. */
  activate(ctx: ActivateContext): Promise<ActivatedModule>;
  /** Calls a capability method; input and result are copied. Bounded by `timeoutMs` (default: callTimeoutMs). */
  call(capability: string, method: string, input: unknown, context: CallContext, timeoutMs?: number): Promise<unknown>;
  /**
   * @internal The router's hot path, where a sandbox can offer it: `call` without a promise
   * for a call that settled within its own entry (its value returned, its error thrown);
   * a call still waiting returns its promise. `startedAt` (performance.now() at the call's
   * start) saves the sandbox its own clock read.
   */
  callNow?(capability: string, method: string, input: unknown, context: CallContext, timeoutMs?: number, startedAt?: number): unknown;
  /** Runs `deactivate(ctx)` if exported; returns its state (copied), or undefined. */
  deactivate(): Promise<unknown>;
  metrics(): SandboxMetrics;
  /** Frees the isolate, its timers and references; pending calls reject with a coded error. Idempotent. */
  dispose(): Promise<void>;
}

export interface SandboxFactory {
  /** Compiles and evaluates the bundle; throws a HotmodError for imports, syntax errors, a missing `activate`. */
  create(options: SandboxOptions): Promise<Sandbox>;
  /** Closes whatever the factory holds (child processes for 'process' isolation). */
  close?(): Promise<void>;
}

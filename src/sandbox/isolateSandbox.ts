/**
 * One module version in one isolated-vm isolate: the host side of the bridge.
 *
 * Lifecycle (SandboxState): loaded -> activating -> active -> deactivating -> loaded
 * (a deactivated sandbox may be activated again, which is how a failed swap resumes the
 * old instance) and any -> disposed. Calls are served while active or deactivating.
 *
 * The hot path (execution 'sync'): one `applySync` into the bridge's `call` entry with
 * primitives in (input and settings as JSON text) and the outbox copied out. When the
 * method settled within its microtasks its result is in that outbox and the call
 * resolves at once; otherwise the call is parked (pendingOperations.ts) with a host timer, and a
 * later entry (a timer firing, a capability answer) delivers it. See bridgeSource.ts.
 *
 * Execution 'async' enters with `apply` instead (a thread hop per entry, ~100 µs), which
 * keeps the host's event loop free even while module code runs; see docs/sandbox.md.
 */
import ivm from 'isolated-vm';
import { HotmodError } from '../errors.js';
import { EVALUATED_EXPORT } from './bridgeSource.js';
import { chainFor, deadlinePassed, nextHop, takeHop, type CallChain, type HopContext } from './callChain.js';
import { CpuMeter, cpuBudgetError } from './cpuBudget.js';
import { classifyFailure, errorText, memoryError, type EntryFailure } from './crash.js';
import { invalidDuration, isDuration, toTimeout } from './durations.js';
import { SandboxErrorCode } from './errors.js';
import { HostServices, type ServiceOwner } from './hostServices.js';
import { bridgeRefused, describeOperation, moduleThrew, type OperationLabel } from './moduleErrors.js';
import { loadModule } from './moduleLoader.js';
import { runSetup, type PreparedIsolate } from './isolateSetup.js';
import { benchSwitches, webGlobalsHost, webTimeOrigin } from './webGlobals/index.js';
import { PendingOperations, timeoutError, type PendingOperation } from './pendingOperations.js';
import { readShared, SHARED_UNITS } from './sharedCodec.js';
import type { ActivateContext, ActivatedModule, CallContext, Sandbox, SandboxMetrics, SandboxOptions, SandboxState } from './types.js';

export type ExecutionMode = 'sync' | 'async';

/** Settings of the factory that every sandbox it makes shares. */
export interface IsolateSandboxSettings {
  execution: ExecutionMode;
  maxPayloadLength: number;
  maxTimers: number;
  maxCallDepth: number;
  maxCallHops: number;
  /** Defaults for limits.cpuBudgetMs / cpuWindowMs. */
  cpuBudgetMs: number;
  cpuWindowMs: number;
}

type Outbox = unknown[];
/** Everything the host hands an entry is a primitive: values travel as JSON text. */
type EntryArgs = (string | number | boolean | undefined)[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- isolated-vm's generic Reference typing
type EntryRef = ivm.Reference<any>;
type EntryName = 'activate' | 'deactivate' | 'call' | 'settleOut' | 'fireTimer' | 'drain';
/** A method of the activated module: where the bridge has it, and the label of calls to it. */
interface MethodTarget {
  readonly index: number;
  readonly label: OperationLabel;
}
/** The bridge's entries: `call` (the hot path) by its own Reference, the others through one dispatcher (isolateSetup.ts). */
interface Entries {
  call: EntryRef;
  dispatch: EntryRef;
}

export class IsolateSandbox implements Sandbox {
  readonly moduleId: string;
  readonly version: string;
  #state: SandboxState = 'loaded';
  readonly #options: SandboxOptions;
  readonly #settings: IsolateSandboxSettings;
  readonly #isolate: ivm.Isolate;
  readonly #context: ivm.Context;
  /** Set by #setUp / #setUpAsync (open), before the sandbox is handed out. */
  #entries!: Entries;
  /** The compiled bundle (a Module, or the Script of its equivalent script: codeCache.ts). */
  #module: { release(): void } | undefined;
  readonly #heapLimitBytes: number;
  readonly #defaultCallRun: { timeout: number };
  /** 'sync' execution: the results buffer shared with the bridge (see bridgeSource.ts). */
  readonly #shared: Uint16Array | undefined;
  readonly #sharedText: Buffer | undefined;

  #nextId = 1;
  /** Operations waiting for an outbox entry, by id. */
  readonly #pending = new PendingOperations((id, op) => this.#onTimeout(id, op));
  readonly #services: HostServices;
  #cpu: CpuMeter | undefined;
  /** The call being entered synchronously right now (its context serves capability calls made during the entry). */
  #syncId = 0;
  #syncContext: CallContext | undefined;
  /** Its deadline and chain of hops (the chain made at its first hop, or inherited from the hop that called it). */
  #syncDeadline = 0;
  #syncChain: CallChain | undefined;
  /** Filled by #deliver when the outbox held the entering operation's own result. */
  #ownKind = '';
  #ownPayload = '';
  readonly #settingsText = new WeakMap<object, string>();
  /** What the bridge holds from the previous call (sync execution): sent again only when it changes. */
  #sentClientId: string | undefined;
  #sentSettingsText: string | undefined;
  /** capability -> method -> its index in the bridge's method list (from activate's summary) and its label, made once. */
  #methodIndex = new Map<string, Map<string, MethodTarget>>();
  /** The call key's multiplier (bridgeSource.ts call): the least power of two above the method count. */
  #methodSlots = 1;
  #lastTarget: MethodTarget | undefined;
  #lastCapability = '';
  #lastMethod = '';
  /** The settings object of the previous call and its JSON text. */
  #lastSettings: unknown;
  #lastSettingsText: string | undefined;
  #entering = 0;
  #fatalError: HotmodError | undefined;

  #calls = 0;
  #errors = 0;
  #timeouts = 0;
  #lastCpuNs = 0;
  #lastWallNs = 0;
  #lastHeapUsed = 0;

  /** Use `createIsolateSandboxFactory().create()`: it makes the isolate (isolateSetup.ts prepareIsolate), and `open` sets it up. */
  private constructor(options: SandboxOptions, settings: IsolateSandboxSettings, memoryMb: number, prepared: PreparedIsolate) {
    this.moduleId = options.moduleId;
    this.version = options.version;
    this.#options = options;
    this.#settings = settings;
    this.#isolate = prepared.isolate;
    this.#context = prepared.context;
    this.#heapLimitBytes = memoryMb * 1024 * 1024;
    this.#defaultCallRun = { timeout: toTimeout(options.limits.callTimeoutMs) };
    const sharedBuffer = settings.execution === 'sync' ? new SharedArrayBuffer(SHARED_UNITS * 2) : undefined;
    this.#shared = sharedBuffer && new Uint16Array(sharedBuffer);
    this.#sharedText = sharedBuffer && Buffer.from(sharedBuffer);
    this.#services = new HostServices(this.#serviceOwner(), options, settings.maxPayloadLength);
  }

  /** Runs the setup script and the bundle in the prepared isolate and hands out the sandbox. */
  static async open(options: SandboxOptions, settings: IsolateSandboxSettings, memoryMb: number, prepared: PreparedIsolate): Promise<IsolateSandbox> {
    const sandbox = new IsolateSandbox(options, settings, memoryMb, prepared);
    try {
      sandbox.#setUp(prepared);
    } catch (error) {
      sandbox.#cpu?.stop();
      sandbox.#disposeIsolate();
      throw error;
    }
    return sandbox;
  }

  /** The setup function's arguments: the host callback, ids, permissions, the shared buffer, the web globals. */
  #setupArguments(): unknown[] {
    const options = this.#options;
    const settings = this.#settings;
    const services = this.#services;
    const hostCallback = new ivm.Callback((op: string, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) => services.fromIsolate(op, a, b, c, d, e));
    const globals = benchSwitches.enabled;
    return [
      hostCallback,
      options.moduleId,
      options.version,
      options.permissions.includes('log'),
      options.permissions.includes('timers'),
      settings.maxPayloadLength,
      settings.maxTimers,
      this.#shared ? new ivm.ExternalCopy(this.#shared.buffer).copyInto({ release: true }) : null,
      EVALUATED_EXPORT,
      globals ? webGlobalsHost(options) : undefined,
      options.permissions.includes('fetch'),
      webTimeOrigin(),
      globals,
      benchSwitches.lazy,
    ];
  }

  #startCpuMeter(): void {
    const options = this.#options;
    const budgetMs = options.limits.cpuBudgetMs ?? this.#settings.cpuBudgetMs;
    const windowMs = options.limits.cpuWindowMs ?? this.#settings.cpuWindowMs;
    this.#cpu = new CpuMeter(this.#isolate, budgetMs, windowMs, (usedMs) => this.#die(cpuBudgetError(this.moduleId, this.version, usedMs, budgetMs, windowMs)));
  }

  /** One cached script and one call: the bridge, and the web globals bound (isolateSetup.ts); then the bundle. */
  #setUp(prepared: PreparedIsolate): void {
    const setupTimeout = toTimeout(this.#options.limits.activateTimeoutMs);
    const setup = runSetup(prepared.setup, this.#context, setupTimeout);
    const bridge = setup.applySync(undefined, this.#setupArguments(), { result: { reference: true }, timeout: setupTimeout }) as ivm.Reference<Record<keyof Entries, unknown>>;
    setup.release();
    this.#entries = { call: bridge.getSync('call', { reference: true }) as EntryRef, dispatch: bridge.getSync('dispatch', { reference: true }) as EntryRef };
    bridge.release();
    this.#startCpuMeter();
    this.#module = loadModule(this.#isolate, this.#context, this.#entries.dispatch, this.#options, prepared.bundle, (error) => this.#classify(error));
  }

  get state(): SandboxState {
    return this.#state;
  }

  /**
   * @internal The isolate's own counters, for the leak tests: how many isolated-vm handles
   * (References, the Context, the Module) it holds, and whether it is disposed.
   */
  static isolateCounters(sandbox: IsolateSandbox): { referenceCount: number; isDisposed: boolean } {
    const isolate = sandbox.#isolate;
    return isolate.isDisposed ? { referenceCount: 0, isDisposed: true } : { referenceCount: isolate.referenceCount, isDisposed: false };
  }

  async activate(ctx: ActivateContext): Promise<ActivatedModule> {
    if (this.#state !== 'loaded') throw this.#wrongState('activate', 'loaded');
    const label: OperationLabel = { moduleId: this.moduleId, version: this.version, phase: 'activate' };
    const configText = this.#jsonArgument(ctx.config, 'ctx.config');
    const previousText = this.#jsonArgument(ctx.previousState, 'ctx.previousState');
    this.#state = 'activating';
    try {
      const id = this.#nextId++;
      const summary = (await this.#operate('activate', [id, configText, previousText], id, label, undefined, this.#options.limits.activateTimeoutMs)) as ActivatedModule;
      let index = 0;
      const methodIndex = new Map<string, Map<string, MethodTarget>>();
      for (const [capability, methods] of Object.entries(summary.capabilities)) {
        const label = (method: string): OperationLabel => Object.freeze({ moduleId: this.moduleId, version: this.version, phase: 'call', capability, method });
        methodIndex.set(capability, new Map(methods.map((name) => [name, { index: index++, label: label(name) }])));
      }
      this.#methodIndex = methodIndex;
      this.#methodSlots = methodSlotsFor(index);
      this.#lastTarget = undefined;
      if (this.#state === 'activating') this.#state = 'active';
      return { capabilities: summary.capabilities, hasDeactivate: summary.hasDeactivate };
    } catch (error) {
      if (this.#state === 'activating') this.#state = 'loaded';
      throw error;
    }
  }

  call(capability: string, method: string, input: unknown, context: CallContext, timeoutMs?: number): Promise<unknown> {
    let value: unknown;
    try {
      value = this.callNow(capability, method, input, context, timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
    return value instanceof Promise ? value : Promise.resolve(value);
  }

  /**
   * @internal `call` without the promise where none is needed (Sandbox.callNow): a call
   * that settled within its own entry returns its value or throws its error here; one
   * still waiting returns its promise. `startedAt`: the caller's performance.now() of the
   * call's start, so the call's deadline and the caller's latency share one clock read.
   */
  callNow(capability: string, method: string, input: unknown, context: CallContext, timeoutMs?: number, startedAt?: number): unknown {
    if (this.#state !== 'active' && this.#state !== 'deactivating') throw this.#wrongState('call', 'active');
    if (timeoutMs !== undefined && !isDuration(timeoutMs)) {
      throw invalidDuration(`the timeoutMs of a call to '${capability}.${method}'`, timeoutMs, { moduleId: this.moduleId, version: this.version });
    }
    let inputText: string | undefined;
    try {
      inputText = input === undefined ? undefined : JSON.stringify(input);
    } catch (error) {
      throw this.#notJson(`the input of '${capability}.${method}'`, error);
    }
    if (inputText !== undefined && inputText.length > this.#settings.maxPayloadLength) {
      throw this.#tooLarge(`the input of '${capability}.${method}'`, inputText.length);
    }
    const settings = context.settings;
    let settingsText: string | undefined = settings === this.#lastSettings ? this.#lastSettingsText : this.#settingsText.get(settings);
    if (settingsText === undefined) {
      settingsText = JSON.stringify(settings ?? {});
      if (settings !== null && typeof settings === 'object') this.#settingsText.set(settings, settingsText);
    }
    this.#lastSettings = settings;
    this.#lastSettingsText = settingsText;
    this.#calls++;
    // The method of the previous call first: a run of calls to one method pays no lookup.
    let target = this.#lastTarget;
    if (target === undefined || capability !== this.#lastCapability || method !== this.#lastMethod) {
      target = this.#methodIndex.get(capability)?.get(method);
      if (target !== undefined) {
        this.#lastTarget = target;
        this.#lastCapability = capability;
        this.#lastMethod = method;
      }
    }
    if (target === undefined) {
      this.#errors++;
      const label: OperationLabel = { moduleId: this.moduleId, version: this.version, phase: 'call', capability, method };
      throw bridgeRefused(label, JSON.stringify({ code: SandboxErrorCode.UNKNOWN_METHOD, message: `capability '${capability}' has no method '${method}'` }));
    }
    const label = target.label;
    const id = this.#nextId++;
    // Sync execution enters one call at a time, so the bridge can keep what did not change.
    let clientId: string | undefined = context.clientId;
    if (this.#shared !== undefined) {
      if (clientId === this.#sentClientId) clientId = undefined;
      else this.#sentClientId = clientId;
      if (settingsText === this.#sentSettingsText) settingsText = undefined;
      else this.#sentSettingsText = settingsText;
    }
    // The call's id and the method's index in one number; unchanged client and settings not sent at all.
    const key = id * this.#methodSlots + target.index;
    const args = clientId === undefined && settingsText === undefined ? [key, inputText, context.requestId] : [key, inputText, context.requestId, clientId, settingsText];
    const callTimeoutMs = timeoutMs ?? this.#options.limits.callTimeoutMs;
    let budget = callTimeoutMs;
    const started = startedAt ?? performance.now();
    // Called by another module: this call is one hop of that chain and shares its deadline.
    const hop = takeHop();
    let chain: CallChain | undefined;
    if (hop !== undefined) {
      chain = chainFor(hop, this.moduleId, started + budget);
      const left = chain.deadline - started;
      if (left <= 0) {
        this.#timeouts++;
        this.#errors++;
        throw deadlinePassed(chain, capability, method);
      }
      budget = Math.min(budget, left);
    }
    return this.#operate('call', args, id, label, context, budget, chain, callTimeoutMs, started);
  }

  async deactivate(): Promise<unknown> {
    if (this.#state !== 'active') throw this.#wrongState('deactivate', 'active');
    this.#state = 'deactivating';
    const label: OperationLabel = { moduleId: this.moduleId, version: this.version, phase: 'deactivate' };
    try {
      const id = this.#nextId++;
      return await this.#operate('deactivate', [id], id, label, undefined, this.#options.limits.deactivateTimeoutMs);
    } finally {
      if (this.#state === 'deactivating') this.#state = 'loaded';
    }
  }

  metrics(): SandboxMetrics {
    if (!this.#isolate.isDisposed) {
      try {
        this.#lastHeapUsed = this.#isolate.getHeapStatisticsSync().used_heap_size;
        this.#lastCpuNs = Number(this.#isolate.cpuTime);
        this.#lastWallNs = Number(this.#isolate.wallTime);
      } catch {
        // Disposed between the check and the read: keep the last figures.
      }
    }
    return {
      heapUsedBytes: this.#lastHeapUsed,
      heapLimitBytes: this.#heapLimitBytes,
      cpuTimeNs: this.#lastCpuNs,
      wallTimeNs: this.#lastWallNs,
      calls: this.#calls,
      errors: this.#errors,
      timeouts: this.#timeouts,
    };
  }

  async dispose(): Promise<void> {
    if (this.#state === 'disposed') return;
    this.#shutDown(
      new HotmodError(
        SandboxErrorCode.DISPOSED,
        `module '${this.moduleId}@${this.version}' sandbox was disposed while this operation was pending; retry on the module's current instance`,
        { moduleId: this.moduleId, version: this.version },
      ),
    );
  }

  // ---- the engine: enter the isolate, deliver the outbox, park what is still pending ----

  /**
   * Runs one operation (activate, call, deactivate) to its end. In 'sync' execution the
   * common case returns an already settled promise from one applySync.
   */
  #operate(entry: EntryName, args: EntryArgs, id: number, label: OperationLabel, context: CallContext | undefined, timeoutMs: number, chain?: CallChain, runMs = timeoutMs, startedAt?: number): unknown {
    if (this.#shared === undefined) return this.#operateAsync(entry, args, id, label, context, timeoutMs, chain, runMs);
    const started = startedAt ?? performance.now();
    // The synchronous entry keeps the call's own timeout even when a chain's deadline
    // shortens the call: isolated-vm 6.2 crashed (a use-after-free in its timer teardown)
    // under thousands of entries with ever shorter timeouts. The host timer and the
    // hop check hold the chain's deadline.
    const run: { timeout: number } = entry === 'call' && runMs === this.#options.limits.callTimeoutMs ? this.#defaultCallRun : { timeout: toTimeout(runMs) };
    this.#syncId = id;
    this.#syncContext = context;
    this.#syncDeadline = started + timeoutMs;
    this.#syncChain = chain;
    const own = this.#enterSync(entry, args, run, id, label);
    chain = this.#syncChain;
    this.#syncId = 0;
    this.#syncContext = undefined;
    this.#syncChain = undefined;
    if (own === 'timeout') throw this.#timeoutError(label, timeoutMs, true);
    if (own === 'gone') {
      this.#errors++;
      throw this.#fatalError ?? this.#disposedError();
    }
    if (own) return this.#result(this.#ownKind, this.#ownPayload, label);
    return this.#pending.park(id, label, context, timeoutMs, timeoutMs - (performance.now() - started), chain);
  }

  /**
   * Sync execution: one applySync, then the records from the shared buffer (and the
   * overflow, if flagged). Returns whether the record of `ownId` was among them, or why
   * the entry produced nothing: it timed out, or the sandbox is gone.
   */
  #enterSync(entry: EntryName, args: EntryArgs, run: { timeout: number }, ownId: number, label: OperationLabel): boolean | 'timeout' | 'gone' {
    let failure: EntryFailure | undefined;
    this.#entering++;
    try {
      if (entry === 'call') this.#entries.call.applySync(undefined, args, run);
      else this.#entries.dispatch.applySync(undefined, [entry, ...args], run);
    } catch (error) {
      failure = this.#classify(error);
    } finally {
      this.#entering--;
    }
    if (failure === undefined) return this.#collect(ownId, false);
    if (failure.kind === 'fatal') {
      this.#die(failure.error);
      return 'gone';
    }
    if (failure.kind === 'disposed' || this.#state === 'disposed') return 'gone';
    // Records written before the throw are still in the buffer; a timeout loses the rest.
    const own = this.#collect(ownId, true);
    if (failure.kind === 'other') this.#services.reportUnhandled(failure.error, label);
    // Even if this call's own answer got out, the entry it started ran away: report that.
    if (failure.kind === 'timeout') return 'timeout';
    return own;
  }

  /** Delivers the shared buffer's records, then the overflow when flagged (or after a throw). */
  #collect(ownId: number, drain: boolean): boolean {
    this.#collectOwnId = ownId;
    this.#collectedOwn = false;
    const overflow = readShared(this.#shared!, this.#sharedText!, this.#visitRecord);
    let own = this.#collectedOwn;
    if (drain || overflow) {
      let box: Outbox | undefined;
      try {
        box = this.#entries.dispatch.applySync(undefined, ['drain'], { result: { copy: true }, timeout: 1000 }) as Outbox;
      } catch (error) {
        const failure = this.#classify(error);
        if (failure.kind === 'fatal') this.#die(failure.error);
        return own;
      }
      if (this.#deliver(box, ownId)) own = true;
    }
    return own;
  }

  #collectOwnId = 0;
  #collectedOwn = false;
  /** One bound visitor for readShared: the hot path allocates no closure per call. */
  readonly #visitRecord = (id: number, kind: string, payload: string): void => {
    if (this.#record(id, kind, payload, this.#collectOwnId)) this.#collectedOwn = true;
  };

  #operateAsync(entry: EntryName, args: EntryArgs, id: number, label: OperationLabel, context: CallContext | undefined, timeoutMs: number, chain: CallChain | undefined, runMs: number): Promise<unknown> {
    // The host timer also catches an entry that never returns (a single huge allocation).
    const settled = this.#pending.park(id, label, context, timeoutMs, timeoutMs, chain);
    // Not awaited: an entry may never return (the isolate died under it); the host timer settles the operation then.
    void this.#enterAsync(entry, args, runMs, label, id);
    return settled;
  }

  /** Async execution: enter, then deliver (or recover). Never throws; failures reach the pending operations. */
  async #enterAsync(entry: EntryName, args: EntryArgs, timeoutMs: number, label: OperationLabel, id = 0): Promise<void> {
    if (this.#state === 'disposed') return;
    let box: Outbox | undefined;
    try {
      const ref = entry === 'call' ? this.#entries.call : this.#entries.dispatch;
      box = (await ref.apply(undefined, entry === 'call' ? args : [entry, ...args], { result: { copy: true }, timeout: toTimeout(timeoutMs) })) as Outbox;
    } catch (error) {
      const failure = this.#classify(error);
      if (failure.kind === 'timeout') {
        // The entry was stopped: fail the operation it ran for, if it was one.
        if (id !== 0) {
          const op = this.#pending.get(id);
          // Absent: its host timer fired first and already failed (and counted) it.
          if (op) this.#expire(id, op, true);
        } else {
          this.#timeouts++;
          this.#services.log('error', `${describeOperation(label)} ran longer than ${timeoutMs} ms and was stopped`);
        }
      }
      if ((this.#state as SandboxState) === 'disposed') return;
      try {
        box = (await this.#entries.dispatch.apply(undefined, ['drain'], { result: { copy: true }, timeout: 1000 })) as Outbox;
      } catch {
        return;
      }
      if (failure.kind === 'other') this.#services.reportUnhandled(failure.error, label);
    }
    this.#deliver(box, 0);
  }

  /** Synchronous entry for work the host starts on its own (timers, capability answers). */
  #enter(entry: EntryName, args: EntryArgs, label: OperationLabel): void {
    if (this.#state === 'disposed') return;
    if (this.#shared === undefined) {
      void this.#enterAsync(entry, args, this.#options.limits.callTimeoutMs, label);
      return;
    }
    const outcome = this.#enterSync(entry, args, { timeout: toTimeout(this.#options.limits.callTimeoutMs) }, 0, label);
    if (outcome === 'timeout') {
      this.#timeouts++;
      this.#services.log('error', `${describeOperation(label)} ran longer than ${this.#options.limits.callTimeoutMs} ms and was stopped`);
    }
  }

  /** Delivers an outbox array (async execution, or the overflow); see #record. */
  #deliver(box: Outbox, ownId: number): boolean {
    let own = false;
    if (!Array.isArray(box)) return false;
    for (let i = 0; i + 2 < box.length; i += 3) {
      const id = box[i];
      const kind = box[i + 1];
      const payload = box[i + 2];
      if (typeof id !== 'number' || typeof kind !== 'string' || typeof payload !== 'string') continue;
      if (this.#record(id, kind, payload, ownId)) own = true;
    }
    return own;
  }

  /**
   * One settled operation. The record of `ownId` (the operation being entered
   * synchronously) is left in #ownKind/#ownPayload; id 0 is a timer callback's failure;
   * any other id settles a pending operation, and an unknown id is a late answer after a
   * timeout: ignored. Records come from the isolate, so every field was checked.
   */
  #record(id: number, kind: string, payload: string, ownId: number): boolean {
    if (id === ownId && ownId !== 0) {
      this.#ownKind = kind;
      this.#ownPayload = payload;
      return true;
    }
    if (id === 0) {
      this.#services.timerFailed(kind, payload);
      return false;
    }
    const op = this.#pending.take(id);
    if (op === undefined) return false;
    try {
      op.resolve(this.#result(kind, payload, op.label, op.refusals));
    } catch (error) {
      op.reject(error as Error);
    }
    return false;
  }

  /** Decodes one outbox result: a value, or throws the coded error it describes. */
  #result(kind: string, payload: string, label: OperationLabel, refusals?: ReadonlyMap<string, HotmodError>): unknown {
    switch (kind) {
      case 'o':
        try {
          return JSON.parse(payload);
        } catch (error) {
          this.#errors++;
          throw this.#notJson(`the result of ${describeOperation(label)}`, error);
        }
      case 'u':
        return undefined;
      case 'e': {
        this.#errors++;
        const thrown = moduleThrew(label, payload, refusals);
        // A chain limit or the chain's deadline that the module let escape is the chain's
        // answer: the caller gets it as it was raised, not as the module's own failure.
        const refusal = thrown.details.hostRefusal;
        const chainAnswer = refusal === SandboxErrorCode.CALL_CHAIN_LIMIT || refusal === SandboxErrorCode.CALL_TIMEOUT ? refusals?.get(refusal) : undefined;
        throw chainAnswer ?? thrown;
      }
      case 'E':
        this.#errors++;
        throw bridgeRefused(label, payload);
      default:
        this.#errors++;
        throw new HotmodError(SandboxErrorCode.CRASHED, `module '${this.moduleId}@${this.version}' ${describeOperation(label)}: the bridge sent an unreadable answer; dispose and reload the module`, {
          moduleId: this.moduleId,
          version: this.version,
        });
    }
  }

  #onTimeout(id: number, op: PendingOperation): void {
    // Async execution: an entry that never came back because the isolate died under it.
    if (this.#isolate.isDisposed && this.#state !== 'disposed') {
      this.#die(this.#memoryError('the isolate was disposed while running, most likely by a single allocation over its memory limit'));
      return;
    }
    this.#expire(id, op, false);
  }

  #expire(id: number, op: PendingOperation, stopped: boolean): void {
    this.#pending.take(id);
    op.reject(this.#timeoutError(op.label, op.timeoutMs, stopped));
  }

  #timeoutError(label: OperationLabel, timeoutMs: number, stopped: boolean): HotmodError {
    this.#timeouts++;
    this.#errors++;
    return timeoutError(label, timeoutMs, stopped);
  }

  #classify(error: unknown): EntryFailure {
    return classifyFailure(error, this.#isolate, this.#state === 'disposed', this);
  }

  #memoryError(reason: string, cause?: unknown): HotmodError {
    return memoryError(this, reason, cause);
  }

  get heapLimitBytes(): number {
    return this.#heapLimitBytes;
  }

  /** The isolate is gone by itself: fail everything, free the rest, tell the runtime. */
  #die(error: HotmodError): void {
    if (this.#state === 'disposed') return;
    this.#fatalError = error;
    this.#shutDown(error);
    try {
      this.#options.onFatal(error);
    } catch {
      // The runtime's handler must not take the host down with the isolate.
    }
  }

  #shutDown(reason: HotmodError): void {
    this.#state = 'disposed';
    this.#cpu?.stop();
    this.metrics();
    this.#services.clearTimers();
    this.#pending.rejectAll(reason);
    if (this.#entering > 0) {
      // Disposed from a host callback while the isolate is on the stack: let the entry unwind first.
      setImmediate(() => this.#disposeIsolate());
    } else {
      this.#disposeIsolate();
    }
  }

  #disposeIsolate(): void {
    const entries = this.#entries as Entries | undefined;
    if (entries) for (const ref of [entries.call, entries.dispatch]) safely(() => ref.release());
    safely(() => this.#module?.release());
    safely(() => this.#context?.release());
    if (!this.#isolate.isDisposed) safely(() => this.#isolate.dispose());
  }

  // ---- what the host services need (hostServices.ts) ----

  /** The hop a capability call out of call `callId` makes, or the coded error refusing it (callId is running). */
  #hopFor(callId: number, capability: string, method: string): HopContext | HotmodError {
    const sync = callId === this.#syncId && callId !== 0;
    const op = sync ? undefined : this.#pending.get(callId);
    let chain = sync ? this.#syncChain : op?.chain;
    if (chain === undefined) {
      // The call's first hop: a chain starts here, with the call's own deadline.
      chain = chainFor(undefined, this.moduleId, sync ? this.#syncDeadline : (op?.deadline ?? 0));
      if (sync) this.#syncChain = chain;
      else if (op !== undefined) op.chain = chain;
    }
    if (performance.now() >= chain.deadline) return deadlinePassed(chain, capability, method);
    return nextHop(chain, this.#settings, capability, method);
  }

  #serviceOwner(): ServiceOwner {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the owner object reads private state
    const sandbox = this;
    return {
      moduleId: this.moduleId,
      version: this.version,
      get disposed() {
        return sandbox.#state === 'disposed';
      },
      enter: (entry, args, label) => this.#enter(entry, args, label),
      callerOf: (callId) => (callId === this.#syncId ? this.#syncContext : this.#pending.get(callId)?.context),
      hopFor: (callId, capability, method) => this.#hopFor(callId, capability, method),
      noteRefusal: (callId, error) => {
        const op = this.#pending.get(callId);
        if (op !== undefined) (op.refusals ??= new Map()).set(error.code, error);
      },
      countError: () => {
        this.#errors++;
      },
      notJson: (what, error) => this.#notJson(what, error),
      tooLarge: (what, length) => this.#tooLarge(what, length),
    };
  }

  // ---- small helpers ----

  #jsonArgument(value: unknown, what: string): string | undefined {
    let text: string | undefined;
    try {
      text = value === undefined ? undefined : JSON.stringify(value);
    } catch (error) {
      throw this.#notJson(what, error);
    }
    if (text !== undefined && text.length > this.#settings.maxPayloadLength) throw this.#tooLarge(what, text.length);
    return text;
  }

  #notJson(what: string, error: unknown): HotmodError {
    return new HotmodError(
      SandboxErrorCode.NOT_JSON,
      `module '${this.moduleId}@${this.version}': ${what} is not JSON (${errorText(error)}); pass plain JSON values`,
      { moduleId: this.moduleId, version: this.version },
      { cause: error },
    );
  }

  #tooLarge(what: string, length: number): HotmodError {
    return new HotmodError(
      SandboxErrorCode.PAYLOAD_TOO_LARGE,
      `module '${this.moduleId}@${this.version}': ${what} is ${length} characters of JSON, over the limit of ${this.#settings.maxPayloadLength}; pass smaller values or raise maxPayloadLength`,
      { moduleId: this.moduleId, version: this.version, length, limit: this.#settings.maxPayloadLength },
    );
  }

  #wrongState(operation: string, expected: string): HotmodError {
    if (this.#state === 'disposed') return this.#fatalError ?? this.#disposedError();
    return new HotmodError(
      SandboxErrorCode.WRONG_STATE,
      `module '${this.moduleId}@${this.version}' cannot ${operation} while ${this.#state} (it must be ${expected}); activate the sandbox first, and call deactivate only once`,
      { moduleId: this.moduleId, version: this.version, state: this.#state, operation },
    );
  }

  #disposedError(): HotmodError {
    return new HotmodError(SandboxErrorCode.DISPOSED, `module '${this.moduleId}@${this.version}' sandbox is disposed; call the module's current instance`, {
      moduleId: this.moduleId,
      version: this.version,
    });
  }
}

/** The least power of two above `count`: the bridge computes the same from its method list. */
function methodSlotsFor(count: number): number {
  let slots = 1;
  while (slots <= count) slots *= 2;
  return slots;
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Already released or disposed.
  }
}


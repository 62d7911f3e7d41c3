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
 * resolves at once; otherwise the call is parked in #pending with a host timer, and a
 * later entry (a timer firing, a capability answer) delivers it. See bridgeSource.ts.
 *
 * Execution 'async' enters with `apply` instead (a thread hop per entry, ~100 µs), which
 * keeps the host's event loop free even while module code runs; see docs/sandbox.md.
 */
import ivm from 'isolated-vm';
import { HotmodError } from '../errors.js';
import { BRIDGE_FILENAME, BRIDGE_SOURCE, EVALUATED_EXPORT, EVALUATED_SUFFIX } from './bridgeSource.js';
import { SandboxErrorCode } from './errors.js';
import { bridgeRefused, describeOperation, moduleThrew, type OperationLabel } from './moduleErrors.js';
import type {
  ActivateContext,
  ActivatedModule,
  CallContext,
  LogLevel,
  Sandbox,
  SandboxMetrics,
  SandboxOptions,
  SandboxState,
} from './types.js';

export type ExecutionMode = 'sync' | 'async';

/** Settings of the factory that every sandbox it makes shares. */
export interface IsolateSandboxSettings {
  execution: ExecutionMode;
  maxPayloadLength: number;
  maxTimers: number;
}

type Outbox = unknown[];
/** Everything the host hands an entry is a primitive: values travel as JSON text. */
type EntryArgs = (string | number | boolean | undefined)[];
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- isolated-vm's generic Reference typing
type EntryRef = ivm.Reference<any>;
type EntryName = 'activate' | 'deactivate' | 'call' | 'settleOut' | 'fireTimer' | 'drain';

interface PendingOperation {
  label: OperationLabel;
  context: CallContext | undefined;
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
}

const TIMED_OUT = 'Script execution timed out.';
/** Shared results buffer: 64 KiB of UTF-16 code units, a 4-unit header. */
const SHARED_UNITS = 32768;
const SHARED_HEADER = 4;
const KIND_BY_CODE: Record<number, string> = { 111: 'o', 117: 'u', 101: 'e', 69: 'E' };
const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** A timeout, a memory death or some other throw out of an entry, sorted. */
type EntryFailure = { kind: 'timeout' } | { kind: 'fatal'; error: HotmodError } | { kind: 'disposed' } | { kind: 'other'; error: unknown };

export class IsolateSandbox implements Sandbox {
  readonly moduleId: string;
  readonly version: string;
  #state: SandboxState = 'loaded';
  readonly #options: SandboxOptions;
  readonly #settings: IsolateSandboxSettings;
  readonly #isolate: ivm.Isolate;
  readonly #context: ivm.Context;
  readonly #entries: Record<EntryName, EntryRef>;
  readonly #module: ivm.Module;
  readonly #heapLimitBytes: number;
  readonly #defaultCallRun: { timeout: number };
  /** 'sync' execution: the results buffer shared with the bridge (see bridgeSource.ts). */
  readonly #shared: Uint16Array | undefined;
  readonly #sharedText: Buffer | undefined;

  #nextId = 1;
  /** Operations waiting for an outbox entry, by id. */
  readonly #pending = new Map<number, PendingOperation>();
  /** The call being entered synchronously right now (its context serves capability calls made during the entry). */
  #syncId = 0;
  #syncContext: CallContext | undefined;
  /** Filled by #deliver when the outbox held the entering operation's own result. */
  #ownKind = '';
  #ownPayload = '';
  readonly #hostTimers = new Map<number, NodeJS.Timeout | NodeJS.Immediate>();
  readonly #settingsText = new WeakMap<object, string>();
  /** What the bridge holds from the previous call (sync execution): sent again only when it changes. */
  #sentClientId: string | undefined;
  #sentSettingsText: string | undefined;
  /** capability -> method -> index in the bridge's method list (from activate's summary). */
  #methodIndex = new Map<string, Map<string, number>>();
  #entering = 0;
  #fatalError: HotmodError | undefined;

  #calls = 0;
  #errors = 0;
  #timeouts = 0;
  #lastCpuNs = 0;
  #lastWallNs = 0;
  #lastHeapUsed = 0;

  /** Use `createIsolateSandboxFactory().create()`: it compiles and evaluates before handing this out. */
  constructor(options: SandboxOptions, settings: IsolateSandboxSettings, memoryMb: number) {
    this.moduleId = options.moduleId;
    this.version = options.version;
    this.#options = options;
    this.#settings = settings;
    this.#isolate = new ivm.Isolate({ memoryLimit: memoryMb });
    this.#heapLimitBytes = memoryMb * 1024 * 1024;
    this.#defaultCallRun = { timeout: toTimeout(options.limits.callTimeoutMs) };
    const sharedBuffer = settings.execution === 'sync' ? new SharedArrayBuffer(SHARED_UNITS * 2) : undefined;
    this.#shared = sharedBuffer && new Uint16Array(sharedBuffer);
    this.#sharedText = sharedBuffer && Buffer.from(sharedBuffer);
    try {
      this.#context = this.#isolate.createContextSync();
      const hostCallback = new ivm.Callback((op: string, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown) =>
        this.#fromIsolate(op, a, b, c, d, e),
      );
      const bridge = this.#context.evalClosureSync(
        BRIDGE_SOURCE,
        [
          hostCallback,
          options.moduleId,
          options.version,
          options.permissions.includes('log'),
          options.permissions.includes('timers'),
          settings.maxPayloadLength,
          settings.maxTimers,
          sharedBuffer ? new ivm.ExternalCopy(sharedBuffer).copyInto({ release: true }) : null,
          EVALUATED_EXPORT,
        ],
        { result: { reference: true }, filename: BRIDGE_FILENAME, timeout: toTimeout(options.limits.activateTimeoutMs) },
      ) as ivm.Reference<Record<EntryName | 'install', unknown>>;
      const entry = (name: EntryName | 'install') => bridge.getSync(name, { reference: true }) as EntryRef;
      this.#entries = {
        activate: entry('activate'),
        deactivate: entry('deactivate'),
        call: entry('call'),
        settleOut: entry('settleOut'),
        fireTimer: entry('fireTimer'),
        drain: entry('drain'),
      };
      this.#module = this.#load(entry('install'));
      bridge.release();
    } catch (error) {
      this.#disposeIsolate();
      throw error;
    }
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

  /** Compiles, instantiates (no imports) and evaluates the bundle, then hands its namespace to the bridge. */
  #load(install: EntryRef): ivm.Module {
    const { moduleId, version, filename, code, limits } = this.#options;
    const subject = `module '${moduleId}@${version}' (${filename})`;
    let mod: ivm.Module;
    try {
      // The suffix (one export, after the last line) lets the bridge see whether the top level ran to its end.
      mod = this.#isolate.compileModuleSync(code + EVALUATED_SUFFIX, { filename });
    } catch (error) {
      throw new HotmodError(
        SandboxErrorCode.COMPILE_FAILED,
        `${subject} failed to compile: ${errorText(error)}; fix the syntax error, or rebuild the bundle with hotmod build`,
        { moduleId, version, filename },
        { cause: error },
      );
    }
    const imports = mod.dependencySpecifiers;
    if (imports.length > 0) {
      mod.release();
      throw importError(subject, imports, { moduleId, version, filename });
    }
    try {
      mod.instantiateSync(this.#context, (specifier) => {
        throw importError(subject, [specifier], { moduleId, version, filename });
      });
    } catch (error) {
      mod.release();
      throw error instanceof HotmodError
        ? error
        : new HotmodError(SandboxErrorCode.COMPILE_FAILED, `${subject} failed to link: ${errorText(error)}; rebuild the bundle with hotmod build`, { moduleId, version, filename }, { cause: error });
    }
    try {
      mod.evaluateSync({ timeout: toTimeout(limits.activateTimeoutMs) });
    } catch (error) {
      mod.release();
      const failure = this.#classify(error);
      if (failure.kind === 'fatal') throw failure.error;
      if (failure.kind === 'timeout') {
        throw new HotmodError(
          SandboxErrorCode.ACTIVATE_TIMEOUT,
          `${subject} did not finish evaluating its top-level code within ${limits.activateTimeoutMs} ms; move long work out of the top level or raise limits.activateTimeoutMs`,
          { moduleId, version, filename, timeoutMs: limits.activateTimeoutMs },
        );
      }
      const thrown = moduleThrew({ moduleId, version, phase: 'activate' }, JSON.stringify(thrownInfo(error)));
      throw new HotmodError(
        SandboxErrorCode.EVALUATE_FAILED,
        `${subject} threw while evaluating its top-level code: ${errorText(error)}; fix the module's top-level code`,
        { ...thrown.details, filename },
        { cause: error },
      );
    }
    const namespace = mod.namespace;
    const shape = JSON.parse(install.applySync(undefined, [namespace.derefInto()], { timeout: 1000 }) as string) as { evaluated: boolean; hasActivate: boolean };
    namespace.release();
    install.release();
    if (!shape.evaluated) {
      mod.release();
      throw new HotmodError(
        SandboxErrorCode.EVALUATE_FAILED,
        `${subject} did not finish evaluating its top-level code: a top-level await was still waiting (on a timer, a capability, or a promise that never settles); do asynchronous setup inside activate, which may await within limits.activateTimeoutMs`,
        { moduleId, version, filename, pendingTopLevelAwait: true },
      );
    }
    if (!shape.hasActivate) {
      mod.release();
      throw new HotmodError(
        SandboxErrorCode.NO_ACTIVATE,
        `${subject} does not export an activate function; add \`export async function activate(ctx) { return { … } }\``,
        { moduleId, version, filename },
      );
    }
    return mod;
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
      const methodIndex = new Map<string, Map<string, number>>();
      for (const [capability, methods] of Object.entries(summary.capabilities)) {
        methodIndex.set(capability, new Map(methods.map((name) => [name, index++])));
      }
      this.#methodIndex = methodIndex;
      if (this.#state === 'activating') this.#state = 'active';
      return { capabilities: summary.capabilities, hasDeactivate: summary.hasDeactivate };
    } catch (error) {
      if (this.#state === 'activating') this.#state = 'loaded';
      throw error;
    }
  }

  call(capability: string, method: string, input: unknown, context: CallContext, timeoutMs?: number): Promise<unknown> {
    if (this.#state !== 'active' && this.#state !== 'deactivating') return Promise.reject(this.#wrongState('call', 'active'));
    let inputText: string | undefined;
    try {
      inputText = input === undefined ? undefined : JSON.stringify(input);
    } catch (error) {
      return Promise.reject(this.#notJson(`the input of '${capability}.${method}'`, error));
    }
    if (inputText !== undefined && inputText.length > this.#settings.maxPayloadLength) {
      return Promise.reject(this.#tooLarge(`the input of '${capability}.${method}'`, inputText.length));
    }
    const settings = context.settings;
    let settingsText: string | undefined = this.#settingsText.get(settings);
    if (settingsText === undefined) {
      settingsText = JSON.stringify(settings ?? {});
      if (settings !== null && typeof settings === 'object') this.#settingsText.set(settings, settingsText);
    }
    this.#calls++;
    const label: OperationLabel = { moduleId: this.moduleId, version: this.version, phase: 'call', capability, method };
    const index = this.#methodIndex.get(capability)?.get(method);
    if (index === undefined) {
      this.#errors++;
      return Promise.reject(bridgeRefused(label, JSON.stringify({ code: SandboxErrorCode.UNKNOWN_METHOD, message: `capability '${capability}' has no method '${method}'` })));
    }
    const id = this.#nextId++;
    // Sync execution enters one call at a time, so the bridge can keep what did not change.
    let clientId: string | undefined = context.clientId;
    if (this.#shared !== undefined) {
      if (clientId === this.#sentClientId) clientId = undefined;
      else this.#sentClientId = clientId;
      if (settingsText === this.#sentSettingsText) settingsText = undefined;
      else this.#sentSettingsText = settingsText;
    }
    const args = [id, index, inputText, context.requestId, clientId, settingsText];
    return this.#operate('call', args, id, label, context, timeoutMs ?? this.#options.limits.callTimeoutMs);
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
  #operate(entry: EntryName, args: EntryArgs, id: number, label: OperationLabel, context: CallContext | undefined, timeoutMs: number): Promise<unknown> {
    if (this.#shared === undefined) return this.#operateAsync(entry, args, id, label, context, timeoutMs);
    const started = performance.now();
    const run: { timeout: number } = entry === 'call' && timeoutMs === this.#options.limits.callTimeoutMs ? this.#defaultCallRun : { timeout: toTimeout(timeoutMs) };
    this.#syncId = id;
    this.#syncContext = context;
    const own = this.#enterSync(entry, args, run, id, label);
    this.#syncId = 0;
    this.#syncContext = undefined;
    if (own === 'timeout') return Promise.reject(this.#timeoutError(label, timeoutMs, true));
    if (own === 'gone') {
      this.#errors++;
      return Promise.reject(this.#fatalError ?? this.#disposedError());
    }
    if (own) {
      try {
        return Promise.resolve(this.#result(this.#ownKind, this.#ownPayload, label));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => {
      const op: PendingOperation = { label, context, timeoutMs, resolve, reject, timer: undefined };
      op.timer = setTimeout(this.#onTimeout, Math.max(1, timeoutMs - (performance.now() - started)), id, op);
      this.#pending.set(id, op);
    });
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
      this.#entries[entry].applySync(undefined, args, run);
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
    if (failure.kind === 'other') this.#reportUnhandled(failure.error, label);
    // Even if this call's own answer got out, the entry it started ran away: report that.
    if (failure.kind === 'timeout') return 'timeout';
    return own;
  }

  /** Delivers the shared buffer's records, then the overflow when flagged (or after a throw). */
  #collect(ownId: number, drain: boolean): boolean {
    const shared = this.#shared!;
    let own = false;
    const used = shared[0]! | (shared[1]! << 16);
    const end = Math.min(SHARED_HEADER + used, shared.length);
    let at = SHARED_HEADER;
    while (at + 5 <= end) {
      const id = (shared[at]! | (shared[at + 1]! << 16)) >>> 0;
      const kind = KIND_BY_CODE[shared[at + 2]!] ?? '?';
      const length = shared[at + 3]! | (shared[at + 4]! << 16);
      at += 5;
      if (length < 0 || at + length > end) break;
      const payload = this.#sharedText!.toString('utf16le', at * 2, (at + length) * 2);
      at += length;
      if (this.#record(id, kind, payload, ownId)) own = true;
    }
    if (drain || shared[2] === 1) {
      shared[2] = 0;
      let box: Outbox | undefined;
      try {
        box = this.#entries.drain.applySync(undefined, [], { result: { copy: true }, timeout: 1000 }) as Outbox;
      } catch (error) {
        const failure = this.#classify(error);
        if (failure.kind === 'fatal') this.#die(failure.error);
        return own;
      }
      if (this.#deliver(box, ownId)) own = true;
    }
    return own;
  }

  #operateAsync(entry: EntryName, args: EntryArgs, id: number, label: OperationLabel, context: CallContext | undefined, timeoutMs: number): Promise<unknown> {
    const settled = new Promise((resolve, reject) => {
      const op: PendingOperation = { label, context, timeoutMs, resolve, reject, timer: undefined };
      // The host timer also catches an entry that never returns (a single huge allocation).
      op.timer = setTimeout(this.#onTimeout, Math.max(1, timeoutMs), id, op);
      this.#pending.set(id, op);
    });
    // Not awaited: an entry may never return (the isolate died under it); the host timer settles the operation then.
    void this.#enterAsync(entry, args, timeoutMs, label);
    return settled;
  }

  /** Async execution: enter, then deliver (or recover). Never throws; failures reach the pending operations. */
  async #enterAsync(entry: EntryName, args: EntryArgs, timeoutMs: number, label: OperationLabel): Promise<void> {
    if (this.#state === 'disposed') return;
    let box: Outbox | undefined;
    try {
      box = (await this.#entries[entry].apply(undefined, args, { result: { copy: true }, timeout: toTimeout(timeoutMs) })) as Outbox;
    } catch (error) {
      const failure = this.#classify(error);
      if (failure.kind === 'timeout') {
        // The entry was stopped: fail the operation it ran for, if it was one.
        if (entry === 'call' || entry === 'activate' || entry === 'deactivate') {
          const id = args[0] as number;
          const op = this.#pending.get(id);
          // Absent: its host timer fired first and already failed (and counted) it.
          if (op) this.#expire(id, op, true);
        } else {
          this.#timeouts++;
          this.#log('error', `${describeOperation(label)} ran longer than ${timeoutMs} ms and was stopped`);
        }
      }
      if ((this.#state as SandboxState) === 'disposed') return;
      try {
        box = (await this.#entries.drain.apply(undefined, [], { result: { copy: true }, timeout: 1000 })) as Outbox;
      } catch {
        return;
      }
      if (failure.kind === 'other') this.#reportUnhandled(failure.error, label);
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
      this.#log('error', `${describeOperation(label)} ran longer than ${this.#options.limits.callTimeoutMs} ms and was stopped`);
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
      this.#timerFailed(kind, payload);
      return false;
    }
    const op = this.#pending.get(id);
    if (op === undefined) return false;
    this.#pending.delete(id);
    clearTimeout(op.timer);
    try {
      op.resolve(this.#result(kind, payload, op.label));
    } catch (error) {
      op.reject(error as Error);
    }
    return false;
  }

  /** Decodes one outbox result: a value, or throws the coded error it describes. */
  #result(kind: string, payload: string, label: OperationLabel): unknown {
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
      case 'e':
        this.#errors++;
        throw moduleThrew(label, payload);
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

  readonly #onTimeout = (id: number, op: PendingOperation): void => {
    if (this.#pending.get(id) !== op) return;
    // Async execution: an entry that never came back because the isolate died under it.
    if (this.#isolate.isDisposed && this.#state !== 'disposed') {
      this.#die(this.#memoryError('the isolate was disposed while running, most likely by a single allocation over its memory limit'));
      return;
    }
    this.#expire(id, op, false);
  };

  #expire(id: number, op: PendingOperation, stopped: boolean): void {
    this.#pending.delete(id);
    clearTimeout(op.timer);
    op.reject(this.#timeoutError(op.label, op.timeoutMs, stopped));
  }

  #timeoutError(label: OperationLabel, timeoutMs: number, stopped: boolean): HotmodError {
    this.#timeouts++;
    this.#errors++;
    const code =
      label.phase === 'activate' ? SandboxErrorCode.ACTIVATE_TIMEOUT : label.phase === 'deactivate' ? SandboxErrorCode.DEACTIVATE_TIMEOUT : SandboxErrorCode.CALL_TIMEOUT;
    const limit = label.phase === 'activate' ? 'limits.activateTimeoutMs' : label.phase === 'deactivate' ? 'limits.deactivateTimeoutMs' : 'limits.callTimeoutMs or the call timeoutMs';
    const how = stopped ? 'its code was still running and was stopped' : 'it was still waiting and its answer will be ignored';
    return new HotmodError(
      code,
      `module '${this.moduleId}@${this.version}' ${describeOperation(label)} did not finish within ${timeoutMs} ms (${how}); make it faster or raise ${limit}`,
      {
        moduleId: this.moduleId,
        version: this.version,
        phase: label.phase,
        timeoutMs,
        stopped,
        ...(label.capability === undefined ? {} : { capability: label.capability, method: label.method }),
      },
    );
  }

  #classify(error: unknown): EntryFailure {
    if (this.#state === 'disposed') return { kind: 'disposed' };
    if (this.#isolate.isDisposed) {
      const text = errorText(error);
      return {
        kind: 'fatal',
        error: /memory/i.test(text)
          ? this.#memoryError(text, error)
          : new HotmodError(SandboxErrorCode.CRASHED, `module '${this.moduleId}@${this.version}' isolate was disposed underneath the sandbox (${text}); the runtime reloads it`, { moduleId: this.moduleId, version: this.version }, { cause: error }),
      };
    }
    if (error instanceof Error && error.message === TIMED_OUT) return { kind: 'timeout' };
    return { kind: 'other', error };
  }

  #memoryError(reason: string, cause?: unknown): HotmodError {
    const mb = this.#heapLimitBytes / 1024 / 1024;
    return new HotmodError(
      SandboxErrorCode.OUT_OF_MEMORY,
      `module '${this.moduleId}@${this.version}' ran out of memory (limit ${mb} MB): ${reason}; its isolate was disposed. Use less memory or raise limits.memoryMb`,
      { moduleId: this.moduleId, version: this.version, memoryMb: mb },
      cause === undefined ? undefined : { cause },
    );
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
    this.metrics();
    for (const timer of this.#hostTimers.values()) clearHostTimer(timer);
    this.#hostTimers.clear();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const op of pending) {
      clearTimeout(op.timer);
      op.reject(reason);
    }
    if (this.#entering > 0) {
      // Disposed from a host callback while the isolate is on the stack: let the entry unwind first.
      setImmediate(() => this.#disposeIsolate());
    } else {
      this.#disposeIsolate();
    }
  }

  #disposeIsolate(): void {
    const entries = this.#entries as Record<string, ivm.Reference<unknown>> | undefined;
    if (entries) for (const ref of Object.values(entries)) safely(() => ref.release());
    safely(() => this.#module?.release());
    safely(() => this.#context?.release());
    if (!this.#isolate.isDisposed) safely(() => this.#isolate.dispose());
  }

  // ---- calls from the isolate (through the one host callback) ----

  /** The host callback. Runs inside an entry: it only records and schedules, never re-enters the isolate. */
  #fromIsolate(op: string, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): void {
    if (this.#state === 'disposed') throw new Error('the sandbox is disposed');
    switch (op) {
      case 'out':
        this.#outgoing(a as number, b as number, c as string, d as string, e as string | undefined);
        return;
      case 'log':
        this.#moduleLog(a as LogLevel, b as string, c as string | undefined);
        return;
      case 'timer':
        this.#setTimer(a as number, b as number);
        return;
      case 'clear': {
        const timer = this.#hostTimers.get(a as number);
        if (timer) {
          clearHostTimer(timer);
          this.#hostTimers.delete(a as number);
        }
        return;
      }
      default:
        throw new Error(`unknown bridge operation ${String(op)}`);
    }
  }

  #outgoing(outId: number, callId: number, capability: string, method: string, inputText: string | undefined): void {
    const caller = callId === this.#syncId ? this.#syncContext : this.#pending.get(callId)?.context;
    if (typeof outId !== 'number' || typeof capability !== 'string' || typeof method !== 'string') return;
    // Start after the entry has returned: the runtime may route into another isolate.
    queueMicrotask(() => {
      if (this.#state === 'disposed') return;
      if (caller === undefined) {
        this.#answerOutgoing(outId, false, {
          name: 'HotmodError',
          code: SandboxErrorCode.CALL_FINISHED,
          message: `call.capability('${capability}').${method}() was made after the call it belongs to had finished; make capability calls while the method is running`,
        });
        return;
      }
      let input: unknown;
      try {
        input = inputText === undefined ? undefined : JSON.parse(inputText);
      } catch {
        input = undefined;
      }
      let answer: Promise<unknown>;
      try {
        answer = Promise.resolve(this.#options.callCapability({ moduleId: this.moduleId, capability, method, input, caller }));
      } catch (error) {
        answer = Promise.reject(error);
      }
      answer.then(
        (value) => this.#answerOutgoing(outId, true, value),
        (error) => this.#answerOutgoing(outId, false, error),
      );
    });
  }

  #answerOutgoing(outId: number, ok: boolean, value: unknown): void {
    if (this.#state === 'disposed') return;
    let text: string | undefined;
    if (ok) {
      try {
        text = value === undefined ? undefined : JSON.stringify(value);
      } catch (error) {
        ok = false;
        value = this.#notJson('a capability result', error);
      }
      if (ok && text !== undefined && text.length > this.#settings.maxPayloadLength) {
        ok = false;
        value = this.#tooLarge('a capability result', text.length);
      }
    }
    if (!ok) {
      const error = value as { name?: unknown; message?: unknown; code?: unknown } | null;
      text = JSON.stringify({
        name: typeof error?.name === 'string' ? error.name : 'Error',
        message: typeof error?.message === 'string' ? error.message : String(value),
        code: typeof error?.code === 'string' ? error.code : undefined,
      });
    }
    this.#enter('settleOut', [outId, ok, text], { moduleId: this.moduleId, version: this.version, phase: 'call', capability: 'capability', method: 'answer' });
  }

  #setTimer(timerId: number, delay: number): void {
    if (typeof timerId !== 'number') return;
    const ms = Number.isFinite(delay) ? Math.min(Math.max(0, delay), MAX_TIMER_DELAY) : 0;
    // Node's setTimeout waits at least 1 ms; a module's setTimeout(fn, 0) is a "next turn".
    // That immediate stays ref'd: an unref'd immediate does not stop the event loop from
    // blocking in poll until the next ref'd timer (a call's timeout), which delays it.
    // A real timer is unref'd: a module's timer must not keep the host process alive.
    const timer = ms < 1 ? setImmediate(this.#fireTimer, timerId) : setTimeout(this.#fireTimer, ms, timerId).unref();
    this.#hostTimers.set(timerId, timer);
  }

  readonly #fireTimer = (timerId: number): void => {
    if (!this.#hostTimers.delete(timerId) || this.#state === 'disposed') return;
    this.#enter('fireTimer', [timerId], { moduleId: this.moduleId, version: this.version, phase: 'timer' });
  };

  #timerFailed(kind: string, payload: string): void {
    if (kind !== 'e' && kind !== 'E') return;
    this.#errors++;
    const label: OperationLabel = { moduleId: this.moduleId, version: this.version, phase: 'timer' };
    const error = kind === 'e' ? moduleThrew(label, payload) : bridgeRefused(label, payload);
    this.#log('error', error.message, { code: error.code, ...error.details });
  }

  #moduleLog(level: LogLevel, message: string, dataText: string | undefined): void {
    if (level !== 'info' && level !== 'warn' && level !== 'error') return;
    let data: unknown;
    try {
      data = dataText === undefined ? undefined : JSON.parse(dataText);
    } catch {
      data = undefined;
    }
    this.#log(level, typeof message === 'string' ? message : String(message), data);
  }

  #log(level: LogLevel, message: string, data?: unknown): void {
    try {
      this.#options.log(level, message, data);
    } catch {
      // A throwing logger must not break the module or the host.
    }
  }

  #reportUnhandled(error: unknown, label: OperationLabel): void {
    this.#errors++;
    this.#log('error', `module '${this.moduleId}@${this.version}' left a promise rejection unhandled during ${describeOperation(label)}: ${errorText(error)}`);
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

function importError(subject: string, specifiers: readonly string[], details: Record<string, unknown>): HotmodError {
  return new HotmodError(
    SandboxErrorCode.IMPORT_NOT_ALLOWED,
    `${subject} imports ${specifiers.map((s) => `'${s}'`).join(', ')}, but a sandboxed module must be one self-contained ES module; bundle it with hotmod build`,
    { ...details, imports: [...specifiers] },
  );
}

function thrownInfo(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { thrown: 'object', name: error.name, message: error.message, stack: error.stack };
  return { thrown: typeof error, message: `a non-Error value was thrown: ${String(error)}` };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function clearHostTimer(timer: NodeJS.Timeout | NodeJS.Immediate): void {
  if (typeof (timer as NodeJS.Timeout).refresh === 'function') clearTimeout(timer as NodeJS.Timeout);
  else clearImmediate(timer as NodeJS.Immediate);
}

function toTimeout(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // Already released or disposed.
  }
}


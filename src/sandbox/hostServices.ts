/**
 * What the bridge asks of the host through its one callback: capability calls out of
 * the isolate, log lines, timers. Everything arrives from module-reachable code, so each
 * argument is type-checked; the callback runs inside an entry, so it only records and
 * schedules and never re-enters the isolate.
 */
import { HotmodError } from '../errors.js';
import { hopStorage, type HopContext } from './callChain.js';
import { errorText } from './crash.js';
import { MAX_TIMER_DELAY } from './durations.js';
import { SandboxErrorCode } from './errors.js';
import { bridgeRefused, describeOperation, moduleThrew, type OperationLabel } from './moduleErrors.js';
import type { CallContext, LogLevel, SandboxOptions } from './types.js';
import { queueOrYield, runOrYield } from './yieldGate.js';

type HostTimer = NodeJS.Timeout | NodeJS.Immediate;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the bridge's entries take primitives
type EntryArgs = any[];

/** What the services need from the sandbox that owns them. */
export interface ServiceOwner {
  readonly moduleId: string;
  readonly version: string;
  readonly disposed: boolean;
  /** Enters the isolate for work the host starts on its own (an answer, a timer). */
  enter(entry: 'settleOut' | 'fireTimer', args: EntryArgs, label: OperationLabel): void;
  /** The context of the call `callId` while it is running, else undefined. */
  callerOf(callId: number): CallContext | undefined;
  /** The hop a capability call out of the running call `callId` makes, or the error refusing it (callChain.ts). */
  hopFor(callId: number, capability: string, method: string): HopContext | HotmodError;
  /** A refusal the host handed into call `callId` (see refusals in isolateSandbox.ts). */
  noteRefusal(callId: number, error: HotmodError): void;
  countError(): void;
  notJson(what: string, error: unknown): HotmodError;
  tooLarge(what: string, length: number): HotmodError;
}

export class HostServices {
  readonly #owner: ServiceOwner;
  readonly #options: SandboxOptions;
  readonly #maxPayloadLength: number;
  readonly #timers = new Map<number, HostTimer>();

  constructor(owner: ServiceOwner, options: SandboxOptions, maxPayloadLength: number) {
    this.#owner = owner;
    this.#options = options;
    this.#maxPayloadLength = maxPayloadLength;
  }

  /** The host callback. */
  fromIsolate(op: string, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown): void {
    if (this.#owner.disposed) throw new Error('the sandbox is disposed');
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
        const timer = this.#timers.get(a as number);
        if (timer) {
          clearHostTimer(timer);
          this.#timers.delete(a as number);
        }
        return;
      }
      default:
        throw new Error(`unknown bridge operation ${String(op)}`);
    }
  }

  clearTimers(): void {
    for (const timer of this.#timers.values()) clearHostTimer(timer);
    this.#timers.clear();
  }

  #outgoing(outId: number, callId: number, capability: string, method: string, inputText: string | undefined): void {
    const caller = this.#owner.callerOf(callId);
    if (typeof outId !== 'number' || typeof capability !== 'string' || typeof method !== 'string') return;
    const hop = caller === undefined ? undefined : this.#owner.hopFor(callId, capability, method);
    // Start after the entry has returned: the runtime may route into another isolate. A long
    // run of hops yields to the event loop (yieldGate.ts), so timers (the deadline) still fire.
    queueOrYield(() => {
      if (this.#owner.disposed) return;
      if (caller === undefined) {
        this.#answer(outId, callId, false, {
          name: 'HotmodError',
          code: SandboxErrorCode.CALL_FINISHED,
          message: `call.capability('${capability}').${method}() was made after the call it belongs to had finished; make capability calls while the method is running`,
        });
        return;
      }
      if (hop instanceof HotmodError) {
        this.#answer(outId, callId, false, hop);
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
        // The callee's sandbox reads the hop from here (callChain.ts).
        answer = hopStorage.run(hop!, () => Promise.resolve(this.#options.callCapability({ moduleId: this.#owner.moduleId, capability, method, input, caller })));
      } catch (error) {
        answer = Promise.reject(error);
      }
      answer.then(
        (value) => runOrYield(() => this.#answer(outId, callId, true, value)),
        (error) => runOrYield(() => this.#answer(outId, callId, false, error)),
      );
    });
  }

  #answer(outId: number, callId: number, ok: boolean, value: unknown): void {
    if (this.#owner.disposed) return;
    let text: string | undefined;
    if (ok) {
      try {
        text = value === undefined ? undefined : JSON.stringify(value);
      } catch (error) {
        ok = false;
        value = this.#owner.notJson('a capability result', error);
      }
      if (ok && text !== undefined && text.length > this.#maxPayloadLength) {
        ok = false;
        value = this.#owner.tooLarge('a capability result', text.length);
      }
    }
    if (!ok) {
      const error = value as { name?: unknown; message?: unknown; code?: unknown } | null;
      const code = typeof error?.code === 'string' ? error.code : undefined;
      // Only a HotmodError is the host's word; anything else is a plain error to the module.
      if (code !== undefined && value instanceof HotmodError) this.#owner.noteRefusal(callId, value);
      text = JSON.stringify({
        name: typeof error?.name === 'string' ? error.name : 'Error',
        message: typeof error?.message === 'string' ? error.message : String(value),
        code,
      });
    }
    this.#owner.enter('settleOut', [outId, ok, text], { moduleId: this.#owner.moduleId, version: this.#owner.version, phase: 'call', capability: 'capability', method: 'answer' });
  }

  #setTimer(timerId: number, delay: number): void {
    if (typeof timerId !== 'number') return;
    const ms = Number.isFinite(delay) ? Math.min(Math.max(0, delay), MAX_TIMER_DELAY) : 0;
    // Node's setTimeout waits at least 1 ms; a module's setTimeout(fn, 0) is a "next turn".
    // That immediate stays ref'd: an unref'd immediate does not stop the event loop from
    // blocking in poll until the next ref'd timer (a call's timeout), which delays it.
    // A real timer is unref'd: a module's timer must not keep the host process alive.
    const timer = ms < 1 ? setImmediate(this.#fireTimer, timerId) : setTimeout(this.#fireTimer, ms, timerId).unref();
    this.#timers.set(timerId, timer);
  }

  readonly #fireTimer = (timerId: number): void => {
    if (!this.#timers.delete(timerId) || this.#owner.disposed) return;
    this.#owner.enter('fireTimer', [timerId], { moduleId: this.#owner.moduleId, version: this.#owner.version, phase: 'timer' });
  };

  /** A timer callback's record (id 0): only a failure is worth anything, as a log line. */
  timerFailed(kind: string, payload: string): void {
    if (kind !== 'e' && kind !== 'E') return;
    this.#owner.countError();
    const label: OperationLabel = { moduleId: this.#owner.moduleId, version: this.#owner.version, phase: 'timer' };
    const error = kind === 'e' ? moduleThrew(label, payload) : bridgeRefused(label, payload);
    this.log('error', error.message, { code: error.code, ...error.details });
  }

  #moduleLog(level: LogLevel, message: string, dataText: string | undefined): void {
    if (level !== 'info' && level !== 'warn' && level !== 'error') return;
    let data: unknown;
    try {
      data = dataText === undefined ? undefined : JSON.parse(dataText);
    } catch {
      data = undefined;
    }
    this.log(level, typeof message === 'string' ? message : String(message), data);
  }

  log(level: LogLevel, message: string, data?: unknown): void {
    try {
      this.#options.log(level, message, data);
    } catch {
      // A throwing logger must not break the module or the host.
    }
  }

  reportUnhandled(error: unknown, label: OperationLabel): void {
    this.#owner.countError();
    this.log('error', `module '${this.#owner.moduleId}@${this.#owner.version}' left a promise rejection unhandled during ${describeOperation(label)}: ${errorText(error)}`);
  }
}

function clearHostTimer(timer: HostTimer): void {
  if (typeof (timer as NodeJS.Timeout).refresh === 'function') clearTimeout(timer as NodeJS.Timeout);
  else clearImmediate(timer as NodeJS.Immediate);
}

/**
 * One supervised child process: spawn with a `ready` handshake, requests with ids and
 * per-request timers, a heartbeat watchdog, and a single `died` notification carrying a
 * coded error that says why (exit code, signal, heartbeat missed, out of memory).
 *
 * States: starting -> ready -> (retiring) -> dead. `retiring` takes no new sandboxes and
 * is killed once its last sandbox is gone (used after an isolate died inside it).
 *
 * The parent never waits synchronously on the child. The IPC channel is ref'd only while
 * requests are pending and the child handle is unref'd, so an idle pool never keeps the
 * host alive; the child exits by itself when the channel disconnects.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { HotmodError } from '../../errors.js';
import { ProcessSandboxErrorCode } from './errors.js';
import { clampDelay } from '../durations.js';
import type { WireHop } from '../callChain.js';
import { fromWireError, type ChildRequestBody, type ChildToParent, type ParentToChild, type WireError } from './protocol.js';

export type ChildState = 'starting' | 'ready' | 'retiring' | 'dead';

export interface SpawnSpec {
  entry: string;
  execArgv: string[];
  args: string[];
  spawnTimeoutMs: number;
  heartbeatTimeoutMs: number;
}

/** What the child asks of its owner (the pool routes these to the right sandbox). */
export interface ChildEvents {
  onCapabilityCall(child: SandboxChild, id: number, sandboxId: number, call: Extract<ChildToParent, { type: 'callCapability' }>['call'], hop?: WireHop): void;
  onLog(sandboxId: number, message: Extract<ChildToParent, { type: 'log' }>): void;
  onSandboxFatal(child: SandboxChild, sandboxId: number, error: Error): void;
  onHeartbeat(metrics: Extract<ChildToParent, { type: 'heartbeat' }>['metrics']): void;
  onStderr(child: SandboxChild, text: string): void;
  /** Called once, after every pending request has been rejected with `error`. */
  onDied(child: SandboxChild, error: HotmodError): void;
}

interface Pending {
  sandboxId: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  /** Sandbox state reported with the result, handed to the caller. */
  onState: ((state: string | undefined) => void) | undefined;
}

const STDERR_TAIL_CHARS = 4000;
const OUT_OF_MEMORY = /out of memory|heap limit|allocation failed|OOM/i;

export class SandboxChild {
  readonly slot: number;
  readonly startedAt = Date.now();
  /** Live sandboxes assigned to this child (the pool's load measure). */
  readonly sandboxIds = new Set<number>();
  #state: ChildState = 'starting';
  #process: ChildProcess;
  #events: ChildEvents;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #lastSeen = Date.now();
  #watchdog: NodeJS.Timeout | undefined;
  #stderrTail = '';
  #killReason: { reason: string; error?: Error } | undefined;
  #exited: Promise<void>;
  #ready: Promise<void>;
  #pid: number | undefined;
  #resolveReady: (() => void) | undefined;
  #rejectReady: ((error: Error) => void) | undefined;
  /** Why the child died, once it has: later requests fail with it. */
  #deathError: HotmodError | undefined;

  constructor(slot: number, spec: SpawnSpec, events: ChildEvents) {
    this.slot = slot;
    this.#events = events;
    this.#process = fork(spec.entry, spec.args, {
      execPath: process.execPath,
      execArgv: spec.execArgv,
      serialization: 'json',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.#pid = this.#process.pid;
    this.#process.unref();
    // Ref'd while starting (someone awaits `ready`), then only while requests are pending.
    this.#process.channel?.ref();
    for (const stream of [this.#process.stdout, this.#process.stderr]) {
      // Pipes must be drained (a full pipe would block the child) but never hold the host.
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => this.#onOutput(text));
    }
    this.#exited = new Promise((resolve) => this.#process.once('exit', (code, signal) => {
      this.#onExit(code, signal);
      resolve();
    }));
    this.#process.on('error', (error) => {
      // Spawn failures and failed sends land here; a dead child is handled on 'exit'.
      if (this.#state !== 'starting') return;
      this.kill('spawn failed', error);
      // A process that never spawned emits no 'exit': settle everything now.
      if (this.#process.pid === undefined) this.#onExit(null, null);
    });
    this.#process.on('message', (message: ChildToParent) => this.#onMessage(message));
    this.#ready = this.#handshake(spec);
    // Whoever awaits ready() sees a failure; this only keeps an unawaited one quiet.
    this.#ready.catch(() => {});
    this.#watchdog = setInterval(() => this.#checkHeartbeat(spec.heartbeatTimeoutMs), Math.max(50, Math.min(1000, spec.heartbeatTimeoutMs / 4)));
    this.#watchdog.unref();
  }

  get state(): ChildState {
    return this.#state;
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Resolves once the child said `ready`; rejects with E_PROCESS_SPAWN_FAILED otherwise. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** No new sandboxes go here; killed when the last one leaves. */
  retire(): void {
    if (this.#state === 'ready' || this.#state === 'starting') this.#state = 'retiring';
    if (this.sandboxIds.size === 0) this.kill('retired');
  }

  /**
   * Sends a request; the promise settles with the child's result, a timeout
   * (E_CALL_TIMEOUT, made by `onTimeout`) or the child's death (E_SANDBOX_CRASHED).
   */
  request(
    message: ChildRequestBody,
    timeoutMs: number | undefined,
    onTimeout: () => HotmodError,
    onState?: (state: string | undefined) => void,
  ): Promise<unknown> {
    if (this.#state === 'dead') return Promise.reject(this.#deathError ?? new HotmodError(ProcessSandboxErrorCode.SANDBOX_CRASHED, 'sandbox child process is gone', {}));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = { sandboxId: message.sandboxId, resolve, reject, timer: undefined, onState };
      if (timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          if (this.#pending.delete(id)) {
            this.#refChannel();
            reject(onTimeout());
          }
        }, clampDelay(timeoutMs));
      }
      this.#pending.set(id, pending);
      this.#refChannel();
      try {
        this.#post({ ...message, id } as ParentToChild);
      } catch (error) {
        this.#pending.delete(id);
        if (pending.timer !== undefined) clearTimeout(pending.timer);
        this.#refChannel();
        reject(
          new HotmodError(
            ProcessSandboxErrorCode.NOT_JSON,
            `cannot send '${message.type}' to sandbox child process ${this.#pid}: a value is not JSON (${(error as Error).message}); ` +
              'pass plain JSON values (no cycles, no BigInt)',
            { pid: this.#pid ?? null, phase: message.type },
            { cause: error },
          ),
        );
      }
    });
  }

  /** Fails the requests in flight for one sandbox (its isolate died; the child lives on). */
  rejectSandbox(sandboxId: number, error: Error): void {
    for (const [id, pending] of this.#pending) {
      if (pending.sandboxId !== sandboxId) continue;
      this.#pending.delete(id);
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(error);
    }
    this.#refChannel();
  }

  /** Answers a module-to-module call the child asked for. */
  answerCapability(id: number, result: { ok: true; value: unknown } | { ok: false; error: WireError }): void {
    if (this.#state === 'dead') return;
    this.#post({ type: 'capabilityResult', id, ...result } as ParentToChild);
  }

  /** Kills the child (SIGKILL: it may be stuck in a loop that ignores everything else). */
  kill(reason: string, error?: Error): void {
    if (this.#state === 'dead') return;
    this.#killReason ??= error === undefined ? { reason } : { reason, error };
    if (this.#process.exitCode === null && this.#process.signalCode === null) this.#process.kill('SIGKILL');
  }

  /**
   * Asks the child to shut down, then kills it after `graceMs`. Resolves when it has
   * exited or, if even SIGKILL does not reap it within another `graceMs`, gives up on it
   * (everything is unref'd, so the host can still exit).
   */
  async shutdown(graceMs: number): Promise<void> {
    if (this.#state === 'dead') return;
    this.#killReason ??= { reason: 'closed' };
    this.#post({ type: 'shutdown' });
    if (await this.#exitWithin(graceMs)) return;
    this.kill('closed');
    await this.#exitWithin(graceMs);
  }

  async #handshake(spec: SpawnSpec): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.kill('spawn timeout');
        reject(this.#spawnError(`no 'ready' within ${spec.spawnTimeoutMs} ms`));
      }, spec.spawnTimeoutMs);
      timer.unref();
    });
    const ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    try {
      await Promise.race([ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #spawnError(reason: string, cause?: Error): HotmodError {
    return new HotmodError(
      ProcessSandboxErrorCode.PROCESS_SPAWN_FAILED,
      `sandbox child process ${this.#pid ?? '(no pid)'} failed to start: ${reason}; check that tsx and isolated-vm load under ${process.execPath}` +
        (this.#stderrTail ? `; its stderr ends with: ${this.#stderrTail.slice(-600)}` : ''),
      { pid: this.#pid ?? null, slot: this.slot, stderr: this.#stderrTail.slice(-STDERR_TAIL_CHARS) },
      cause === undefined ? undefined : { cause },
    );
  }

  #onMessage(message: ChildToParent): void {
    this.#lastSeen = Date.now();
    switch (message.type) {
      case 'ready':
        if (this.#state === 'starting') this.#state = 'ready';
        this.#refChannel();
        this.#resolveReady?.();
        return;
      case 'result': {
        const pending = this.#pending.get(message.id);
        if (pending === undefined) return; // timed out earlier: a late answer is ignored
        this.#pending.delete(message.id);
        if (pending.timer !== undefined) clearTimeout(pending.timer);
        this.#refChannel();
        pending.onState?.(message.state);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(fromWireError(message.error));
        return;
      }
      case 'callCapability':
        this.#events.onCapabilityCall(this, message.id, message.sandboxId, message.call, message.hop);
        return;
      case 'log':
        this.#events.onLog(message.sandboxId, message);
        return;
      case 'fatal':
        this.#events.onSandboxFatal(this, message.sandboxId, fromWireError(message.error));
        return;
      case 'heartbeat':
        this.#events.onHeartbeat(message.metrics);
        return;
      default: {
        const never: never = message;
        throw new Error(`unknown message from sandbox child: ${JSON.stringify(never)}`);
      }
    }
  }

  #onOutput(text: string): void {
    this.#stderrTail = (this.#stderrTail + text).slice(-STDERR_TAIL_CHARS);
    this.#events.onStderr(this, text);
  }

  #checkHeartbeat(timeoutMs: number): void {
    if (this.#state === 'starting' || this.#state === 'dead') return;
    const silentMs = Date.now() - this.#lastSeen;
    if (silentMs > timeoutMs) this.kill(`heartbeat missed (silent for ${silentMs} ms, limit ${timeoutMs} ms)`);
  }

  #onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#state === 'dead') return;
    const wasStarting = this.#state === 'starting';
    this.#state = 'dead';
    if (this.#watchdog !== undefined) clearInterval(this.#watchdog);
    const error = this.#describeDeath(code, signal);
    this.#deathError = error;
    if (wasStarting) this.#rejectReady?.(this.#spawnError(`it exited (${exitText(code, signal)})`, error));
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    this.#process.channel?.unref();
    for (const p of pending) {
      if (p.timer !== undefined) clearTimeout(p.timer);
      p.reject(error);
    }
    this.#events.onDied(this, error);
  }

  #describeDeath(code: number | null, signal: NodeJS.Signals | null): HotmodError {
    const killed = this.#killReason;
    let cause: string;
    if (OUT_OF_MEMORY.test(this.#stderrTail)) cause = 'out of memory';
    else if (killed !== undefined) cause = killed.reason;
    else cause = exitText(code, signal);
    const closing = killed?.reason === 'closed' || killed?.reason === 'retired';
    return new HotmodError(
      closing ? ProcessSandboxErrorCode.PROCESS_FACTORY_CLOSED : ProcessSandboxErrorCode.SANDBOX_CRASHED,
      closing
        ? `sandbox child process ${this.#pid} was shut down (${killed!.reason}) while work was pending; create a new sandbox`
        : `sandbox child process ${this.#pid} crashed: ${cause}${cause === exitText(code, signal) ? '' : ` (${exitText(code, signal)})`}; ` +
            'the calls in flight on it failed and its sandboxes are gone; the runtime restarts the module within its crash budget ' +
            '(host.status() shows a restart pending or the module left failed) — if it keeps crashing, check the module for endless loops or runaway memory and its limits' +
            (killed === undefined && this.#stderrTail !== '' ? `; its stderr ends with: ${this.#stderrTail.trim().slice(-400)}` : ''),
      {
        pid: this.#pid ?? null,
        slot: this.slot,
        reason: cause,
        exitCode: code,
        signal,
        stderr: this.#stderrTail.slice(-1000),
      },
      killed?.error === undefined ? undefined : { cause: killed.error },
    );
  }

  #exitWithin(ms: number): Promise<boolean> {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return this.#exited.then(() => true);
    // Ref'd on purpose: close() is awaited and bounded by `ms`; an unref'd timer would let
    // the host's loop run dry and leave close() unsettled.
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void this.#exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #post(message: ParentToChild): void {
    if (!this.#process.connected) return; // the 'exit' handler fails what is pending
    // A value JSON cannot encode (a cycle, a BigInt) throws here, synchronously; the
    // caller settles its request. An asynchronous send failure means
    // the channel broke: the child is treated as dead.
    this.#process.send(message, (error) => {
      if (error) this.kill('IPC send failed', error);
    });
  }

  #refChannel(): void {
    // Hold the host open only while a request (or the start-up) awaits an answer.
    if (this.#state === 'dead') return;
    if (this.#pending.size > 0 || this.#state === 'starting') this.#process.channel?.ref();
    else this.#process.channel?.unref();
  }
}

function exitText(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${code}`;
}

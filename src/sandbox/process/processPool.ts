/**
 * The pool of sandbox child processes: `poolSize` slots, each holding at most one live
 * child. A new sandbox goes to the least-loaded slot (a slot without a child counts as
 * empty and spawns one). A slot whose child crashed restarts lazily, on the next create,
 * after a backoff that doubles with each crash in a row (100 ms … 5 s) and resets once a
 * child has lived 30 s; the runtime's crash budget decides whether a module comes back.
 *
 * After an isolate dies inside a child (out of memory), the child is retired: it keeps
 * serving its other sandboxes but gets no new ones, and is killed when the last one goes.
 */
import { HotmodError as CodedError, type HotmodError } from '../../errors.js';
import type { SandboxOptions } from '../types.js';
import { ProcessSandboxErrorCode } from './errors.js';
import { ProcessSandbox, type ProcessSandboxOwner } from './processSandbox.js';
import { toWireError } from './protocol.js';
import { SandboxChild, type ChildEvents, type SpawnSpec } from './sandboxChild.js';
import { hopFromWire, hopStorage, type WireHop } from '../callChain.js';

export type ProcessLogLevel = 'info' | 'warn' | 'error';
/** Where supervision events go (crashes, restarts, children's stderr). */
export interface ProcessSandboxLogger {
  log(level: ProcessLogLevel, message: string, data?: Record<string, unknown>): void;
}

export interface ProcessInfo {
  pid: number | undefined;
  slot: number;
  state: SandboxChild['state'];
  sandboxes: number;
  pendingRequests: number;
  startedAt: number;
}

interface Slot {
  index: number;
  child: SandboxChild | undefined;
  spawning: Promise<SandboxChild> | undefined;
  /** Creates that chose this slot and wait for its child: part of the load. */
  reserved: number;
  crashesInARow: number;
  notBefore: number;
  restarts: number;
}

const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 5000;
const HEALTHY_AFTER_MS = 30_000;

export class ProcessPool implements ChildEvents, ProcessSandboxOwner {
  #spec: SpawnSpec;
  #logger: ProcessSandboxLogger | undefined;
  #slots: Slot[];
  #retired = new Set<SandboxChild>();
  #sandboxes = new Map<number, ProcessSandbox>();
  #nextSandboxId = 1;
  #closed = false;

  constructor(poolSize: number, spec: SpawnSpec, logger: ProcessSandboxLogger | undefined) {
    this.#spec = spec;
    this.#logger = logger;
    this.#slots = Array.from({ length: poolSize }, (_, index) => ({
      index,
      child: undefined,
      spawning: undefined,
      reserved: 0,
      crashesInARow: 0,
      notBefore: 0,
      restarts: 0,
    }));
  }

  get closed(): boolean {
    return this.#closed;
  }

  async create(options: SandboxOptions): Promise<ProcessSandbox> {
    this.#assertOpen(options);
    const slot = this.#leastLoaded();
    slot.reserved++;
    let child: SandboxChild;
    try {
      child = await this.#childOf(slot);
    } finally {
      slot.reserved--;
    }
    this.#assertOpen(options);
    const sandbox = new ProcessSandbox(this.#nextSandboxId++, options, child, this);
    this.#sandboxes.set(sandbox.id, sandbox);
    child.sandboxIds.add(sandbox.id);
    try {
      await sandbox.load();
    } catch (error) {
      // Never handed out: no onFatal, just free its place.
      this.#sandboxes.delete(sandbox.id);
      this.release(sandbox);
      throw error;
    }
    return sandbox;
  }

  processes(): ProcessInfo[] {
    const children = [...this.#slots.flatMap((s) => (s.child === undefined ? [] : [s.child])), ...this.#retired];
    return children.map((c) => ({
      pid: c.pid,
      slot: c.slot,
      state: c.state,
      sandboxes: c.sandboxIds.size,
      pendingRequests: c.pendingCount,
      startedAt: c.startedAt,
    }));
  }

  /** Ends every child: shutdown message, SIGKILL after `graceMs`. Always resolves. */
  async close(graceMs: number): Promise<void> {
    this.#closed = true;
    const closedError = new CodedError(
      ProcessSandboxErrorCode.PROCESS_FACTORY_CLOSED,
      'the process sandbox factory was closed (host stopping): the sandbox is gone; nothing to fix unless the host was not meant to stop',
      {},
    );
    for (const sandbox of [...this.#sandboxes.values()]) sandbox.fail(closedError, false);
    const children = [...this.#slots.flatMap((s) => (s.child === undefined ? [] : [s.child])), ...this.#retired];
    await Promise.allSettled(children.map((c) => c.shutdown(graceMs)));
  }

  /** Synchronous last resort for a host exiting without close(): no child may outlive it. */
  killAll(): void {
    for (const slot of this.#slots) slot.child?.kill('closed');
    for (const child of this.#retired) child.kill('closed');
  }

  // ProcessSandboxOwner

  release(sandbox: ProcessSandbox): void {
    this.#sandboxes.delete(sandbox.id);
    const child = sandbox.child;
    child.sandboxIds.delete(sandbox.id);
    if (child.state === 'retiring' && child.sandboxIds.size === 0) child.kill('retired');
  }

  // ChildEvents

  onCapabilityCall(child: SandboxChild, id: number, sandboxId: number, call: Parameters<ChildEvents['onCapabilityCall']>[3], wireHop?: WireHop): void {
    const sandbox = this.#sandboxes.get(sandboxId);
    if (sandbox === undefined) {
      child.answerCapability(id, {
        ok: false,
        error: toWireError(
          new CodedError(ProcessSandboxErrorCode.SANDBOX_DISPOSED, `sandbox ${sandboxId} is disposed: its capability call was refused`, {}),
        ),
      });
      return;
    }
    void (async () => {
      let result: { ok: true; value: unknown } | { ok: false; error: ReturnType<typeof toWireError> };
      try {
        const hop = hopFromWire(wireHop);
        const ask = () => sandbox.options.callCapability(call);
        result = { ok: true, value: await (hop === undefined ? ask() : hopStorage.run(hop, ask)) };
      } catch (error) {
        result = { ok: false, error: toWireError(error) };
      }
      try {
        child.answerCapability(id, result);
      } catch (error) {
        // The value could not be encoded: the module gets a coded error instead of a hang.
        child.answerCapability(id, {
          ok: false,
          error: toWireError(
            new CodedError(
              ProcessSandboxErrorCode.NOT_JSON,
              `the result of ${call.capability}.${call.method} is not JSON and cannot reach module '${call.moduleId}' in its child process: ${(error as Error).message}; return plain JSON values`,
              { capability: call.capability, method: call.method },
            ),
          ),
        });
      }
    })();
  }

  onLog(sandboxId: number, message: Parameters<ChildEvents['onLog']>[1]): void {
    const sandbox = this.#sandboxes.get(sandboxId);
    if (sandbox === undefined) return;
    try {
      sandbox.options.log(message.level, message.message, message.data);
    } catch {
      // A failing log sink must not take supervision down.
    }
  }

  onSandboxFatal(child: SandboxChild, sandboxId: number, error: Error): void {
    const coded =
      error instanceof CodedError
        ? error
        : new CodedError(ProcessSandboxErrorCode.SANDBOX_CRASHED, `sandbox ${sandboxId} died in child process ${child.pid}: ${error.message}`, {}, { cause: error });
    this.#logger?.log('warn', 'sandbox isolate died inside its child process; retiring the child', {
      pid: child.pid,
      sandboxId,
      code: coded.code,
      reason: coded.message,
    });
    this.#retire(child);
    this.#sandboxes.get(sandboxId)?.fail(coded, true);
  }

  onHeartbeat(metrics: Parameters<ChildEvents['onHeartbeat']>[0]): void {
    for (const [id, m] of metrics) this.#sandboxes.get(id)?.setRemoteMetrics(m);
  }

  onStderr(child: SandboxChild, text: string): void {
    this.#logger?.log('warn', 'sandbox child process output', { pid: child.pid, text: text.trimEnd() });
  }

  onDied(child: SandboxChild, error: HotmodError): void {
    this.#retired.delete(child);
    const slot = this.#slots[child.slot]!;
    if (slot.child === child) {
      slot.child = undefined;
      const crashed = error.code === ProcessSandboxErrorCode.SANDBOX_CRASHED;
      if (crashed) {
        slot.crashesInARow = Date.now() - child.startedAt > HEALTHY_AFTER_MS ? 1 : slot.crashesInARow + 1;
        slot.notBefore = Date.now() + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (slot.crashesInARow - 1));
      }
    }
    const affected = [...child.sandboxIds].flatMap((id) => {
      const sandbox = this.#sandboxes.get(id);
      return sandbox === undefined ? [] : [sandbox];
    });
    if (error.code === ProcessSandboxErrorCode.SANDBOX_CRASHED) {
      this.#logger?.log('error', 'sandbox child process died', { ...error.details, sandboxes: affected.length });
    }
    for (const sandbox of affected) sandbox.fail(error, !this.#closed);
  }

  #retire(child: SandboxChild): void {
    const slot = this.#slots[child.slot]!;
    if (slot.child === child) slot.child = undefined;
    if (child.state !== 'dead') this.#retired.add(child);
    child.retire();
  }

  #leastLoaded(): Slot {
    let best = this.#slots[0]!;
    let bestLoad = Infinity;
    for (const slot of this.#slots) {
      const load = (slot.child?.sandboxIds.size ?? 0) + slot.reserved;
      // On a tie prefer a slot whose child already runs: no spawn needed.
      if (load < bestLoad || (load === bestLoad && slot.child !== undefined && best.child === undefined)) {
        best = slot;
        bestLoad = load;
      }
    }
    return best;
  }

  #childOf(slot: Slot): Promise<SandboxChild> {
    const child = slot.child;
    if (child !== undefined && (child.state === 'ready' || child.state === 'starting')) return child.ready().then(() => child);
    slot.spawning ??= this.#spawn(slot).finally(() => {
      slot.spawning = undefined;
    });
    return slot.spawning;
  }

  async #spawn(slot: Slot): Promise<SandboxChild> {
    const waitMs = slot.notBefore - Date.now();
    // Ref'd on purpose: a create is waiting for this child (the backoff is at most 5 s).
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    if (this.#closed) throw this.#closedError();
    if (slot.restarts++ > 0) this.#logger?.log('info', 'restarting sandbox child process', { slot: slot.index, crashesInARow: slot.crashesInARow });
    const child = new SandboxChild(slot.index, this.#spec, this);
    slot.child = child;
    await child.ready();
    return child;
  }

  #assertOpen(options: SandboxOptions): void {
    if (this.#closed) throw this.#closedError(options.moduleId);
  }

  #closedError(moduleId?: string): CodedError {
    return new CodedError(
      ProcessSandboxErrorCode.PROCESS_FACTORY_CLOSED,
      `cannot create a sandbox${moduleId === undefined ? '' : ` for module '${moduleId}'`}: the process sandbox factory is closed; create a new factory (a new host)`,
      moduleId === undefined ? {} : { moduleId },
    );
  }
}

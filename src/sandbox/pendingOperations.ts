/**
 * Operations (activate, a call, deactivate) that did not settle within the entry that
 * started them: parked by id with a host timer until a later entry delivers their record,
 * their timer fires, or the sandbox shuts down.
 */
import { HotmodError } from '../errors.js';
import { SandboxErrorCode } from './errors.js';
import { describeOperation, type OperationLabel } from './moduleErrors.js';
import type { CallChain } from './callChain.js';
import type { CallContext } from './types.js';

export interface PendingOperation {
  label: OperationLabel;
  context: CallContext | undefined;
  timeoutMs: number;
  resolve(value: unknown): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout | undefined;
  /** The host refusals (HotmodErrors) handed into this call as capability answers, by code. */
  refusals: Map<string, HotmodError> | undefined;
  /** performance.now() by which it must be done, every hop included. */
  deadline: number;
  /** Its chain of module-to-module calls; made at its first hop when it started one. */
  chain: CallChain | undefined;
}

export class PendingOperations {
  readonly #ops = new Map<number, PendingOperation>();
  readonly #onTimeout: (id: number, op: PendingOperation) => void;

  /** `onTimeout` runs when an operation's timer fires while it is still parked. */
  constructor(onTimeout: (id: number, op: PendingOperation) => void) {
    this.#onTimeout = (id, op) => {
      if (this.#ops.get(id) === op) onTimeout(id, op);
    };
  }

  /** Parks an operation; its timer fires after `delayMs` (what is left of its budget). */
  park(id: number, label: OperationLabel, context: CallContext | undefined, timeoutMs: number, delayMs: number, chain: CallChain | undefined): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const deadline = performance.now() + delayMs;
      const op: PendingOperation = { label, context, timeoutMs, resolve, reject, timer: undefined, refusals: undefined, deadline, chain };
      op.timer = setTimeout(this.#onTimeout, Math.max(1, delayMs), id, op);
      this.#ops.set(id, op);
    });
  }

  get(id: number): PendingOperation | undefined {
    return this.#ops.get(id);
  }

  /** Removes the operation (its timer cleared) and hands it back to be settled. */
  take(id: number): PendingOperation | undefined {
    const op = this.#ops.get(id);
    if (op === undefined) return undefined;
    this.#ops.delete(id);
    clearTimeout(op.timer);
    return op;
  }

  rejectAll(reason: Error): void {
    const ops = [...this.#ops.values()];
    this.#ops.clear();
    for (const op of ops) {
      clearTimeout(op.timer);
      op.reject(reason);
    }
  }
}

/** The coded timeout of an operation; `stopped`: its code was running and was terminated. */
export function timeoutError(label: OperationLabel, timeoutMs: number, stopped: boolean): HotmodError {
  const code =
    label.phase === 'activate' ? SandboxErrorCode.ACTIVATE_TIMEOUT : label.phase === 'deactivate' ? SandboxErrorCode.DEACTIVATE_TIMEOUT : SandboxErrorCode.CALL_TIMEOUT;
  const limit = label.phase === 'activate' ? 'limits.activateTimeoutMs' : label.phase === 'deactivate' ? 'limits.deactivateTimeoutMs' : 'limits.callTimeoutMs or the call timeoutMs';
  const how = stopped ? 'its code was still running and was stopped' : 'it was still waiting and its answer will be ignored';
  return new HotmodError(
    code,
    `module '${label.moduleId}@${label.version}' ${describeOperation(label)} did not finish within ${timeoutMs} ms (${how}); make it faster or raise ${limit}`,
    {
      moduleId: label.moduleId,
      version: label.version,
      phase: label.phase,
      timeoutMs,
      stopped,
      ...(label.capability === undefined ? {} : { capability: label.capability, method: label.method }),
    },
  );
}

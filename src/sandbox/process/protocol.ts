/**
 * The IPC protocol between the parent (the host) and a sandbox child process.
 *
 * Messages travel over Node's IPC channel with 'json' serialization: values are copied as
 * JSON, exactly as the in-process sandbox copies them into an isolate (it JSON-encodes
 * every value), so a module sees the same values under either isolation. JSON is also
 * 2-4x faster than the channel's 'advanced' (structured clone) mode for small messages
 * (see docs/process-isolation.md). No function, handle or reference crosses.
 * Requests carry an `id`; each gets exactly one `result` with the same id. The child may
 * ask the parent for a module-to-module call (`callCapability`), answered by
 * `capabilityResult` with the child's id. Both unions are closed: handlers end in a
 * `never` check so a new message type cannot be forgotten.
 */
import { HotmodError, type HotmodErrorCode } from '../../errors.js';
import type {
  ActivateContext,
  CallContext,
  FetchPolicy,
  LogLevel,
  OutgoingCall,
  SandboxLimits,
  SandboxMetrics,
  SandboxState,
} from '../types.js';
import type { Permission } from '../../registry/index.js';
import type { WireHop } from '../callChain.js';

/** SandboxOptions minus its host callbacks: what the child needs to build the sandbox. */
export interface WireSandboxOptions {
  moduleId: string;
  version: string;
  code: string;
  filename: string;
  permissions: readonly Permission[];
  limits: SandboxLimits;
  /** The fetch policy: the child makes the module's fetches itself (fetchService.ts). */
  fetch?: FetchPolicy;
}

/** An error as it crosses the boundary; HotmodError's code and details survive. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  details?: Record<string, unknown>;
  stack?: string;
  cause?: WireError;
}

export type ParentToChild =
  | { type: 'create'; id: number; sandboxId: number; options: WireSandboxOptions }
  | { type: 'activate'; id: number; sandboxId: number; ctx: ActivateContext }
  | {
      type: 'call';
      id: number;
      sandboxId: number;
      capability: string;
      method: string;
      input: unknown;
      context: CallContext;
      timeoutMs: number | undefined;
      /** Set when this call is one hop of a chain of module calls (callChain.ts). */
      hop?: WireHop;
    }
  | { type: 'deactivate'; id: number; sandboxId: number }
  | { type: 'dispose'; id: number; sandboxId: number }
  | { type: 'capabilityResult'; id: number; ok: true; value: unknown }
  | { type: 'capabilityResult'; id: number; ok: false; error: WireError }
  /** Dispose everything and exit; the parent kills the child if it has not exited after a grace period. */
  | { type: 'shutdown' };

export type ChildToParent =
  | { type: 'ready'; pid: number }
  /** `state` is the sandbox's state after the request (absent once the sandbox is gone). */
  | { type: 'result'; id: number; ok: true; value: unknown; state?: SandboxState }
  | { type: 'result'; id: number; ok: false; error: WireError; state?: SandboxState }
  | { type: 'callCapability'; id: number; sandboxId: number; call: OutgoingCall; hop?: WireHop }
  | { type: 'log'; sandboxId: number; level: LogLevel; message: string; data?: unknown }
  /** The sandbox's isolate died inside the child (out of memory, disposed). */
  | { type: 'fatal'; sandboxId: number; error: WireError }
  /** Sent every heartbeatIntervalMs; carries each live sandbox's metrics. */
  | { type: 'heartbeat'; metrics: Array<[sandboxId: number, metrics: SandboxMetrics]> };

export type ChildRequest = Extract<ParentToChild, { id: number; sandboxId: number }>;

/** A request before the sender numbers it. */
export type ChildRequestBody = ChildRequest extends infer R ? (R extends ChildRequest ? Omit<R, 'id'> : never) : never;

export function toWireError(error: unknown, depth = 0): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const wire: WireError = { name: error.name, message: error.message };
  if (error.stack !== undefined) wire.stack = error.stack;
  if (error instanceof HotmodError) {
    wire.code = error.code;
    wire.details = toPlainDetails(error.details);
  } else if (typeof (error as { code?: unknown }).code === 'string') {
    wire.code = (error as unknown as { code: string }).code;
  }
  // One or two levels of cause are enough to explain; deeper chains are cut.
  if (error.cause !== undefined && depth < 2) wire.cause = toWireError(error.cause, depth + 1);
  return wire;
}

/** Rebuilds an error sent over the wire: a HotmodError when it carried an E_ code. */
export function fromWireError(wire: WireError): Error {
  const cause = wire.cause === undefined ? undefined : fromWireError(wire.cause);
  const error =
    wire.code !== undefined && wire.code.startsWith('E_')
      ? new HotmodError(wire.code as HotmodErrorCode, wire.message, wire.details ?? {}, cause === undefined ? undefined : { cause })
      : Object.assign(new Error(wire.message, cause === undefined ? undefined : { cause }), { name: wire.name });
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

// details are meant to be JSON-serialisable; a stray BigInt or cycle must not make the
// whole message fail to encode, so such details are dropped.
function toPlainDetails(details: Record<string, unknown>): Record<string, unknown> {
  try {
    JSON.stringify(details);
    return details;
  } catch {
    return {};
  }
}

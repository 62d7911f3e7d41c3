/**
 * Error codes of process isolation (the supervised child processes behind
 * `isolation: 'process'`). Documented in docs/errors.md, Sandbox section. The generic
 * sandbox codes (a crash, a timeout, a disposed sandbox) are the in-process sandbox's,
 * shared by value so callers switch on one code whatever the isolation.
 */
import { SandboxErrorCode } from '../errors.js';

export const ProcessSandboxErrorCode = {
  /** The child process hosting the sandbox died (exit, signal, heartbeat missed, out of memory). */
  SANDBOX_CRASHED: SandboxErrorCode.CRASHED,
  /** The isolate ran out of memory inside the child (reported by the child). */
  SANDBOX_MEMORY: SandboxErrorCode.OUT_OF_MEMORY,
  /** A call outlived its time budget (enforced in the parent too: the child may be frozen). */
  CALL_TIMEOUT: SandboxErrorCode.CALL_TIMEOUT,
  ACTIVATE_TIMEOUT: SandboxErrorCode.ACTIVATE_TIMEOUT,
  DEACTIVATE_TIMEOUT: SandboxErrorCode.DEACTIVATE_TIMEOUT,
  /** The sandbox was disposed: pending and later calls are refused. */
  SANDBOX_DISPOSED: SandboxErrorCode.DISPOSED,
  /** A value crossing to the child is not JSON (a cycle, a BigInt), as in-process. */
  NOT_JSON: SandboxErrorCode.NOT_JSON,
  /** A child process did not start (spawn error, or no `ready` within spawnTimeoutMs). */
  PROCESS_SPAWN_FAILED: 'E_PROCESS_SPAWN_FAILED',
  /** The process sandbox factory was closed: no more sandboxes, pending work is cancelled. */
  PROCESS_FACTORY_CLOSED: 'E_PROCESS_FACTORY_CLOSED',
  /** createProcessSandboxFactory got an invalid option (a non-positive size or time). */
  PROCESS_OPTIONS_INVALID: 'E_PROCESS_OPTIONS_INVALID',
} as const;

export type ProcessSandboxErrorCode = (typeof ProcessSandboxErrorCode)[keyof typeof ProcessSandboxErrorCode];

// This part's codes join HotmodError's code union (src/errors.ts).
declare module '../../errors.js' {
  interface HotmodErrorCodes extends Record<ProcessSandboxErrorCode, true> {}
}

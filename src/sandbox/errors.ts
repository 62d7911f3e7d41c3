/**
 * Error codes of the isolate sandbox (src/sandbox). Documented in docs/errors.md,
 * Sandbox section. Process isolation keeps its own codes in src/sandbox/process/errors.ts
 * and shares the generic ones (E_CALL_TIMEOUT, E_SANDBOX_CRASHED) by value.
 */
export const SandboxErrorCode = {
  /** The bundle is not valid JavaScript (a syntax error while compiling the ES module). */
  COMPILE_FAILED: 'E_SANDBOX_COMPILE',
  /** The bundle has an `import` (static or dynamic): the sandbox has no module loader. */
  IMPORT_NOT_ALLOWED: 'E_SANDBOX_IMPORT',
  /** The module's top-level code threw while being evaluated. */
  EVALUATE_FAILED: 'E_SANDBOX_EVALUATE',
  /** The module does not export an `activate` function. */
  NO_ACTIVATE: 'E_SANDBOX_NO_ACTIVATE',
  /** `activate` did not return an object of capability objects. */
  ACTIVATE_INVALID: 'E_SANDBOX_ACTIVATE_INVALID',
  /** Module code (activate, a method, deactivate, a timer callback) threw or rejected. */
  MODULE_THREW: 'E_MODULE_THREW',
  /** A call did not settle within its time budget (a runaway loop, an await that never ends). */
  CALL_TIMEOUT: 'E_CALL_TIMEOUT',
  /** Evaluating the bundle or `activate` did not finish within activateTimeoutMs. */
  ACTIVATE_TIMEOUT: 'E_ACTIVATE_TIMEOUT',
  /** `deactivate` did not finish within deactivateTimeoutMs. */
  DEACTIVATE_TIMEOUT: 'E_DEACTIVATE_TIMEOUT',
  /** The isolate ran out of memory (its memory limit) and was disposed. */
  OUT_OF_MEMORY: 'E_SANDBOX_MEMORY',
  /** The isolate was disposed underneath the sandbox for a reason other than memory. */
  CRASHED: 'E_SANDBOX_CRASHED',
  /** The sandbox was disposed: pending and later calls are refused. */
  DISPOSED: 'E_SANDBOX_DISPOSED',
  /** An operation came in the wrong lifecycle state (a call before activate, activate twice). */
  WRONG_STATE: 'E_SANDBOX_STATE',
  /** The capability or method is not among what `activate` returned. */
  UNKNOWN_METHOD: 'E_UNKNOWN_METHOD',
  /** A value crossing the boundary is not JSON (a cycle, a BigInt, a function input). */
  NOT_JSON: 'E_SANDBOX_NOT_JSON',
  /** A value crossing the boundary is larger than maxPayloadLength. */
  PAYLOAD_TOO_LARGE: 'E_PAYLOAD_TOO_LARGE',
  /** A module made a capability call after the call it belongs to had finished. */
  CALL_FINISHED: 'E_CALL_FINISHED',
  /** A module has more pending timers than maxTimers. */
  TOO_MANY_TIMERS: 'E_TOO_MANY_TIMERS',
  /** A call's timeoutMs is not a number of milliseconds in range (NaN, Infinity, 0 or less, over 2**31-1). */
  DURATION_INVALID: 'E_DURATION_INVALID',
  /** A chain of module-to-module calls went over maxCallDepth (recursion) or maxCallHops (a call in a loop). */
  CALL_CHAIN_LIMIT: 'E_CALL_CHAIN_LIMIT',
  /** A module used more CPU over limits.cpuWindowMs than limits.cpuBudgetMs: it was stopped (a timer re-arming itself, a loop). */
  CPU_BUDGET: 'E_SANDBOX_CPU_BUDGET',
  /** fetch: the module has no "fetch" permission, or the URL's origin is not in its allowed origins. */
  FETCH_DENIED: 'E_FETCH_DENIED',
  /** fetch: a redirect went to an origin that is not allowed, or past the most redirects followed. */
  FETCH_REDIRECT: 'E_FETCH_REDIRECT',
  /** fetch: the exchange (redirects and body included) did not finish within the fetch timeout. */
  FETCH_TIMEOUT: 'E_FETCH_TIMEOUT',
  /** fetch: the response body is larger than the fetch response-size cap. */
  FETCH_TOO_LARGE: 'E_FETCH_TOO_LARGE',
  /** fetch: the request is not one the host makes (not an http(s) URL, an unreadable or oversized request). */
  FETCH_INVALID: 'E_FETCH_INVALID',
  /** fetch: the network request itself failed (connection refused, DNS, reset). */
  FETCH_FAILED: 'E_FETCH_FAILED',
  /** createIsolateSandboxFactory or create() got an invalid option. */
  OPTIONS_INVALID: 'E_SANDBOX_OPTIONS',
} as const;

export type SandboxErrorCode = (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

// This part's codes join HotmodError's code union (src/errors.ts).
declare module '../errors.js' {
  interface HotmodErrorCodes extends Record<SandboxErrorCode, true> {}
}

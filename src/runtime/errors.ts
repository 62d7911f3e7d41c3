
/** Error codes of the runtime (host lifecycle, routing, swap, watcher). Documented in docs/errors.md. */
export const RuntimeErrorCode = {
  /** A call reached a module that is not effective for the client. */
  NOT_ENABLED: 'E_NOT_ENABLED',
  /** A module called a capability it did not declare in requires / optionalRequires. */
  UNDECLARED_CAPABILITY: 'E_UNDECLARED_CAPABILITY',
  /** A module is failed (or quarantined) and cannot serve. */
  MODULE_FAILED: 'E_MODULE_FAILED',
  /** No module in the running catalog provides the capability called. */
  NO_PROVIDER: 'E_NO_PROVIDER',
  /** The module's `activate` returned capabilities that do not match `provides`. */
  CAPABILITY_MISMATCH: 'E_CAPABILITY_MISMATCH',
  /** `start()` was called on a host that is already started (or starting). */
  HOST_ALREADY_STARTED: 'E_HOST_ALREADY_STARTED',
  /** An operation needs a started host (or the host is stopping / stopped). */
  HOST_NOT_RUNNING: 'E_HOST_NOT_RUNNING',
  /** The module id is not in the running catalog. */
  UNKNOWN_MODULE: 'E_UNKNOWN_MODULE',
  /** A swap was refused before anything changed: the old version serves on. */
  SWAP_REFUSED: 'E_SWAP_REFUSED',
  /** The new version failed to load or activate: the old version resumed. */
  SWAP_FAILED: 'E_SWAP_FAILED',
  /** A call's deadline passed while the client's configuration was still loading (store unreachable or slow). */
  CONFIG_LOAD_TIMEOUT: 'E_CONFIG_LOAD_TIMEOUT',
  /** hotmod.config.json is unreadable or malformed. */
  CONFIG_INVALID: 'E_CONFIG_INVALID',
  /** Host options are invalid (a missing modulesDir, an unknown isolation, ...). */
  HOST_OPTIONS_INVALID: 'E_HOST_OPTIONS_INVALID',
  /** esbuild could not bundle a module's src/ entry (syntax, type-strip or resolve errors). */
  BUILD_FAILED: 'E_BUILD_FAILED',
  /** A module's source imports a Node builtin (`node:fs`, `fs`, …): the sandbox has no Node API. */
  BUILD_NODE_API: 'E_BUILD_NODE_API',
  /** Nothing to bundle: no src/index.ts or src/index.js (or no module package at the path). */
  BUILD_NO_ENTRY: 'E_BUILD_NO_ENTRY',
  /** A watched module folder changed into an invalid package: the running version serves on. */
  WATCH_INVALID: 'E_WATCH_INVALID',
  /** The file watcher could not start or reported an error (missing modules directory, …). */
  WATCH_FAILED: 'E_WATCH_FAILED',
  /** `hotmod new` refused: the module folder already exists. */
  SCAFFOLD_EXISTS: 'E_SCAFFOLD_EXISTS',
  /** `hotmod new` refused: the id is not a valid module id. */
  SCAFFOLD_ID_INVALID: 'E_SCAFFOLD_ID_INVALID',
  /** A lifecycle move the state machine does not allow (moduleState.ts): a bug in hotmod. */
  STATE_TRANSITION: 'E_STATE_TRANSITION',
} as const;

export type RuntimeErrorCode = (typeof RuntimeErrorCode)[keyof typeof RuntimeErrorCode];

// This part's codes join HotmodError's code union (src/errors.ts).
declare module '../errors.js' {
  interface HotmodErrorCodes extends Record<RuntimeErrorCode, true> {}
}

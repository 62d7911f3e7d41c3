/** Error codes of the runtime (host lifecycle, routing, swap, watcher). Documented in docs/errors.md. */
export const RuntimeErrorCode = {
  /** A call reached a module that is not effective for the client. */
  NOT_ENABLED: 'E_NOT_ENABLED',
  /** A module called a capability it did not declare in requires / optionalRequires. */
  UNDECLARED_CAPABILITY: 'E_UNDECLARED_CAPABILITY',
  /** A module is failed (or quarantined) and cannot serve. */
  MODULE_FAILED: 'E_MODULE_FAILED',
} as const;

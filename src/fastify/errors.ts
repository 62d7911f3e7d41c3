/**
 * Error codes of the Fastify plugin (`hotmod/fastify`): what the HTTP layer itself
 * refuses before a request reaches the host. Documented in docs/errors.md.
 */
export const FastifyErrorCode = {
  /** The request failed validation (params, query, headers or JSON body), or its body could not be parsed. */
  BAD_REQUEST: 'E_BAD_REQUEST',
  /** No hotmod route matches the method and URL. */
  ROUTE_NOT_FOUND: 'E_ROUTE_NOT_FOUND',
  /** GET /clients/:id/overrides for a client that has no `client_app_overrides` row. */
  OVERRIDES_NOT_FOUND: 'E_OVERRIDES_NOT_FOUND',
  /** The host is not started (yet) or is stopping: /health answers 503 with this code. */
  HOST_NOT_READY: 'E_HOST_NOT_READY',
  /** The plugin was registered with options it cannot use (both or neither of host / hostOptions, a bad prefix). */
  PLUGIN_OPTIONS_INVALID: 'E_PLUGIN_OPTIONS_INVALID',
  /** A console request without the bearer token, the console's session cookie, or the application's authorize() approval. */
  CONSOLE_UNAUTHORIZED: 'E_CONSOLE_UNAUTHORIZED',
  /** A console action that needs confirming (a rollback) came without the confirmation. */
  CONSOLE_CONFIRMATION_REQUIRED: 'E_CONSOLE_CONFIRMATION_REQUIRED',
  /** An unexpected error that is not a HotmodError; the message is logged, not sent. */
  INTERNAL: 'E_INTERNAL',
} as const;

export type FastifyErrorCode = (typeof FastifyErrorCode)[keyof typeof FastifyErrorCode];

declare module '../errors.js' {
  interface HotmodErrorCodes extends Record<FastifyErrorCode, true> {}
}

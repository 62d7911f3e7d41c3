/**
 * Which HTTP status a HotmodError code answers with. One table, read top to bottom:
 * exact codes first, then code families by prefix, then 500. The reasoning per row is
 * in docs/fastify.md ("Errors and status codes").
 */
import { FastifyErrorCode } from './errors.js';

const byCode: ReadonlyMap<string, number> = new Map([
  // The request itself is wrong.
  [FastifyErrorCode.BAD_REQUEST, 400],
  ['E_CLIENT_ID_INVALID', 400],
  ['E_MODULE_ID_INVALID', 400],
  ['E_LEGACY_MODULES_INVALID', 400],
  ['E_DURATION_INVALID', 400],
  // Who is asking is not known (the console).
  [FastifyErrorCode.CONSOLE_UNAUTHORIZED, 401],
  [FastifyErrorCode.CONSOLE_CONFIRMATION_REQUIRED, 400],
  ['E_ROLLOUT_INVALID', 400],
  // The client may not do this.
  ['E_NOT_ENABLED', 403],
  // The thing named in the URL does not exist.
  [FastifyErrorCode.ROUTE_NOT_FOUND, 404],
  [FastifyErrorCode.OVERRIDES_NOT_FOUND, 404],
  ['E_CLIENT_NOT_FOUND', 404],
  ['E_CLIENT_UNKNOWN', 404],
  ['E_UNKNOWN_MODULE', 404],
  ['E_MODULE_UNKNOWN', 404],
  ['E_NO_PROVIDER', 404],
  ['E_ROLLOUT_UNKNOWN', 404],
  ['E_ROLLOUT_VERSION_UNKNOWN', 404],
  ['E_UNKNOWN_METHOD', 404],
  // The request conflicts with what is stored or running.
  ['E_LEGACY_LIST_UNREADABLE', 409],
  ['E_SWAP_REFUSED', 409],
  ['E_SWAP_FAILED', 409],
  ['E_ROLLOUT_CONFLICT', 409],
  ['E_ROLLOUT_STATE', 409],
  ['E_ROLLOUT_STATEFUL', 409],
  // The module misbehaved: a bug in module code, not in the request. Whatever code the
  // module put on its error, it is E_MODULE_THREW (details.moduleCode): never a host status.
  ['E_MODULE_THREW', 502],
  ['E_CALL_FINISHED', 502],
  ['E_TOO_MANY_TIMERS', 502],
  ['E_CALL_CHAIN_LIMIT', 508],
  ['E_UNDECLARED_CAPABILITY', 502],
  ['E_CAPABILITY_MISMATCH', 502],
  // Cannot serve right now; retrying later may work.
  ['E_MODULE_FAILED', 503],
  ['E_SANDBOX_MEMORY', 503],
  [FastifyErrorCode.HOST_NOT_READY, 503],
  // The host runs without rollouts: a deployment choice, not the request's fault.
  ['E_ROLLOUTS_DISABLED', 501],
  ['E_HOST_NOT_RUNNING', 503],
  // host.fleet() of a host that has no store (yet): start it with one.
  ['E_FLEET_NO_STORE', 503],
  ['E_STORE_OPEN_FAILED', 503],
  ['E_STORE_QUERY_FAILED', 503],
  ['E_STORE_CLOSED', 503],
  // The module did not answer in time.
  ['E_CALL_TIMEOUT', 504],
  ['E_ACTIVATE_TIMEOUT', 504],
  ['E_DEACTIVATE_TIMEOUT', 504],
  // A value crossing into or out of the module is over the sandbox's limit.
  ['E_PAYLOAD_TOO_LARGE', 413],
]);

// Families: the prefix says what kind of failure it is.
const byPrefix: readonly (readonly [prefix: string, status: number])[] = [
  // A manifest that cannot be used: the content is understood but unprocessable.
  ['E_MANIFEST_', 422],
  // The request conflicts with the current catalog / migration state.
  ['E_RESOLVE_', 409],
  ['E_MIGRATION_', 409],
  ['E_SWAP_', 409],
  ['E_SANDBOX_', 502],
];

/** The HTTP status for a hotmod error code; 500 for a code the table does not know. */
export function httpStatusForCode(code: string): number {
  const exact = byCode.get(code);
  if (exact !== undefined) return exact;
  for (const [prefix, status] of byPrefix) if (code.startsWith(prefix)) return status;
  return 500;
}

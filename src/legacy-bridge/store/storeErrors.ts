import { HotmodError, wrapError } from '../../errors.js';
import { LegacyBridgeErrorCode } from '../errors.js';

/** Shortens a statement for a message: the first line, at most 120 characters. */
function brief(sql: string): string {
  const line = sql.trim().replace(/\s+/g, ' ');
  return line.length > 120 ? `${line.slice(0, 117)}...` : line;
}

/**
 * Wraps a pg / PGlite error where it enters hotmod. Both carry the PostgreSQL SQLSTATE in
 * `code`; a few states get their own hotmod code because callers can act on them.
 */
export function wrapQueryError(error: unknown, sql: string, displayUrl: string): HotmodError {
  if (error instanceof HotmodError) return error;
  const sqlState = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  const details = { sqlState, statement: brief(sql), store: displayUrl };
  if (sqlState === '42P01' && /client_app_overrides|clients/.test(String((error as Error).message))) {
    return wrapError(
      error,
      LegacyBridgeErrorCode.LEGACY_TABLE_MISSING,
      (reason) => `legacy table missing in ${displayUrl}: ${reason}; run 'hotmod db init --store ${displayUrl}' to create clients and client_app_overrides`,
      details,
    );
  }
  return wrapError(
    error,
    LegacyBridgeErrorCode.STORE_QUERY_FAILED,
    (reason) => `store ${displayUrl}: statement failed (${sqlState ?? 'no SQLSTATE'}): ${reason} — in: ${brief(sql)}`,
    details,
  );
}

export function storeClosedError(displayUrl: string): HotmodError {
  return new HotmodError(
    LegacyBridgeErrorCode.STORE_CLOSED,
    `store ${displayUrl} is closed: it was used after close() (host.stop() closes it); open a new store with openStore()`,
    { store: displayUrl },
  );
}

/** Removes the password from a URL for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/i, '$1:***@');
}

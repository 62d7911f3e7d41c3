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
export function wrapQueryError(error: unknown, sql: string, displayUrl: string, timeouts?: { queryTimeoutMs?: number; statementTimeoutMs?: number; connectTimeoutMs?: number }): HotmodError {
  if (error instanceof HotmodError) return error;
  const code = typeof (error as { code?: unknown })?.code === 'string' ? (error as { code: string }).code : undefined;
  // Node's socket errors carry their errno name in `code` too; only five-character codes are SQLSTATEs.
  const sqlState = code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E') ? code : undefined;
  const details = { sqlState, statement: brief(sql), store: displayUrl };
  const fault = connectionFault(error, sqlState, code);
  if (fault === 'timeout') {
    const timeoutMs = /connect/i.test(String((error as Error)?.message)) ? timeouts?.connectTimeoutMs : sqlState === '57014' ? timeouts?.statementTimeoutMs : timeouts?.queryTimeoutMs;
    return wrapError(
      error,
      LegacyBridgeErrorCode.STORE_TIMEOUT,
      (reason) => `store ${displayUrl}: the database did not answer in time${timeoutMs ? ` (${timeoutMs} ms)` : ''}: ${reason} — in: ${brief(sql)}; the connection was discarded; check that the server is reachable, then retry (docs/legacy-bridge.md "Timeouts")`,
      { ...details, ...(timeoutMs ? { timeoutMs } : {}) },
    );
  }
  if (fault === 'lost') {
    return wrapError(
      error,
      LegacyBridgeErrorCode.STORE_CONNECTION_LOST,
      (reason) => `store ${displayUrl}: the connection to the database was lost (${reason}) — in: ${brief(sql)}; nothing of the transaction was kept; the next operation reconnects; retry it`,
      details,
    );
  }
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

const LOST_STATES = new Set(['57P01', '57P02', '57P03', '25P03']);
const LOST_ERRNOS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ENOTCONN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * Whether an error is the connection's fault rather than the statement's: the server ended
 * the session (SQLSTATE class 08, 57P01–57P03 terminated / shutting down, 25P03 idle in
 * transaction too long), the socket died, or nothing answered in time.
 */
function connectionFault(error: unknown, sqlState: string | undefined, code: string | undefined): 'lost' | 'timeout' | undefined {
  const message = String((error as Error)?.message ?? error);
  if (sqlState === '57014' && /statement timeout/i.test(message)) return 'timeout';
  if (code === 'ETIMEDOUT' || /Query read timeout|timeout exceeded when trying to connect|due to connection timeout|timed out/i.test(message)) return 'timeout';
  if (sqlState !== undefined && (sqlState.startsWith('08') || LOST_STATES.has(sqlState))) return 'lost';
  if (code !== undefined && LOST_ERRNOS.has(code)) return 'lost';
  if (/Connection terminated|connection error and is not queryable|Client was closed and is not queryable|terminating connection|socket hang up/i.test(message)) return 'lost';
  return undefined;
}

/** A store fault (connection lost, no answer in time): the operation may be retried on a fresh connection. */
export function isStoreFault(error: unknown): boolean {
  return error instanceof HotmodError && (error.code === LegacyBridgeErrorCode.STORE_CONNECTION_LOST || error.code === LegacyBridgeErrorCode.STORE_TIMEOUT);
}

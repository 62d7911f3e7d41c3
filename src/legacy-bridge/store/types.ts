/**
 * The store: one SQL dialect (PostgreSQL's) over embedded PGlite or a PostgreSQL server.
 * Everything above it (legacy API, unifier, migrator, config source) talks to this
 * interface only, with `$1…` parameters — never string-built SQL.
 */
export type StoreKind = 'memory' | 'pglite' | 'postgres';

export interface QueryResult<T> {
  rows: T[];
  /** Rows affected (INSERT/UPDATE/DELETE) or returned (SELECT). */
  rowCount: number;
}

/** Something that runs parameterized statements: the store itself or an open transaction. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
}

/** Called when notifications may have been missed (the listening connection was re-established). */
export type GapHandler = () => void;

export interface Store extends Queryable {
  readonly kind: StoreKind;
  /** The URL with any password removed: safe for logs and messages. */
  readonly displayUrl: string;
  readonly closed: boolean;
  /**
   * Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK when it throws). Not nestable:
   * inside `fn`, use the `tx` handed in, never the store (the store would wait for the
   * transaction on PGlite and run outside it on PostgreSQL).
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Runs a multi-statement script without parameters (schema DDL only). */
  exec(script: string): Promise<void>;
  /**
   * LISTEN on a channel. PGlite delivers in-process; PostgreSQL uses one dedicated
   * connection per store that reconnects on loss and then calls `onGap`.
   * Returns the unsubscribe function.
   */
  listen(channel: string, handler: (payload: string) => void, onGap?: GapHandler): Promise<() => Promise<void>>;
  /** NOTIFY through pg_notify (parameterized). */
  notify(channel: string, payload: string): Promise<void>;
  /**
   * In-process change bus: writers in this process announce the client ids they changed
   * (after commit) so this process's views update at once, without waiting for NOTIFY.
   */
  announce(clients: readonly string[] | 'all'): void;
  onAnnounce(listener: (clients: readonly string[] | 'all') => void): () => void;
  /**
   * Takes a session-level advisory lock (two int4 keys) without waiting: the lock object, or
   * null when another session holds it. PostgreSQL: on a dedicated connection, so it is held
   * until release() or until this process (or that connection) dies — a crashed holder never
   * keeps it. PGlite (one process per data directory): held in this store. Optional, for
   * stores wrapped by callers; the migrator falls back to an in-process lock.
   */
  tryAdvisoryLock?(namespace: number, key: number): Promise<AdvisoryLock | null>;
  /** Closes connections. Idempotent; later calls throw E_STORE_CLOSED. */
  close(): Promise<void>;
}

export interface AdvisoryLock {
  release(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Apply hotmod's schema migrations on open (default true). */
  migrate?: boolean;
  /** pg pool size for postgres:// (default 5). */
  poolSize?: number;
  /** Delay before reconnecting a lost LISTEN connection, doubled up to 5 s (default 200 ms). */
  listenReconnectMs?: number;
  /** PostgreSQL: connecting, per connection (default 10 s). docs/legacy-bridge.md "Timeouts". */
  connectTimeoutMs?: number;
  /** PostgreSQL: server-side statement_timeout (default 60 s). */
  statementTimeoutMs?: number;
  /** PostgreSQL: no reply to a statement for this long fails it and discards the connection (default 90 s). */
  queryTimeoutMs?: number;
  /** PostgreSQL: server-side idle_in_transaction_session_timeout (default 60 s). */
  idleInTransactionTimeoutMs?: number;
  /** PostgreSQL: TCP keepalive (always on), first probe after this idle time (default 10 s). */
  keepAliveInitialDelayMs?: number;
  /** PostgreSQL: an idle pooled connection is closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /** PostgreSQL: the LISTEN connection is probed this often (default 15 s). */
  listenHeartbeatMs?: number;
}

import pg from 'pg';
import { HotmodError, wrapError } from '../../errors.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import { assertChannelName } from './channelName.js';
import { ChangeBus } from './changeBus.js';
import { isStoreFault, storeClosedError, wrapQueryError } from './storeErrors.js';
import type { AdvisoryLock, GapHandler, Queryable, QueryResult, Store } from './types.js';

/**
 * The store's time budgets on PostgreSQL (docs/legacy-bridge.md "Timeouts"). Every one has
 * a default; URL parameters `statement_timeout`, `query_timeout` and
 * `idle_in_transaction_session_timeout` (ms) override theirs, as pg reads them.
 */
export interface PostgresTimeouts {
  /** Connecting (TCP + startup + authentication), per connection. Default 10 s. */
  connectTimeoutMs: number;
  /** Server side: a statement running longer is cancelled (SQLSTATE 57014). Default 60 s. */
  statementTimeoutMs: number;
  /** Client side: no reply at all to a statement for this long (a partition, a hung server) fails it and discards the connection. Default 90 s. */
  queryTimeoutMs: number;
  /** Server side: a session idle inside a transaction this long is ended (its locks freed). Default 60 s. */
  idleInTransactionTimeoutMs: number;
  /** TCP keepalive on every connection, first probe after this idle time. Default 10 s. */
  keepAliveInitialDelayMs: number;
  /** An idle pooled connection is closed after this long. Default 30 s. */
  idleTimeoutMs: number;
  /** The LISTEN connection is probed (SELECT 1) this often; a probe unanswered for connectTimeoutMs counts as a lost connection. Default 15 s. */
  listenHeartbeatMs: number;
}

export const DEFAULT_POSTGRES_TIMEOUTS: Readonly<PostgresTimeouts> = Object.freeze({
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 60_000,
  queryTimeoutMs: 90_000,
  idleInTransactionTimeoutMs: 60_000,
  keepAliveInitialDelayMs: 10_000,
  idleTimeoutMs: 30_000,
  listenHeartbeatMs: 15_000,
});

function resolveTimeouts(options: Partial<PostgresTimeouts>): PostgresTimeouts {
  const t = { ...DEFAULT_POSTGRES_TIMEOUTS };
  for (const key of Object.keys(t) as (keyof PostgresTimeouts)[]) {
    const v = options[key];
    if (v === undefined) continue;
    if (!Number.isInteger(v) || v <= 0) {
      throw new HotmodError(LegacyBridgeErrorCode.STORE_URL_INVALID, `store option ${key} must be a whole number of milliseconds above 0, got ${String(v)}`, { option: key });
    }
    t[key] = v;
  }
  return t;
}

/**
 * Timeouts given in the URL, which win over the options (pg itself lets the URL's
 * statement_timeout, query_timeout and idle_in_transaction_session_timeout win):
 * libpq's `connect_timeout` and `keepalives_idle` in seconds, the others in milliseconds.
 */
function timeoutsInUrl(url: string): Partial<PostgresTimeouts> {
  let params: URLSearchParams;
  try {
    params = new URL(url).searchParams;
  } catch {
    return {};
  }
  const out: Partial<PostgresTimeouts> = {};
  const read = (name: string, key: keyof PostgresTimeouts, scale: number) => {
    const text = params.get(name);
    if (text === null) return;
    const n = Number(text) * scale;
    if (!Number.isInteger(n) || n <= 0) {
      throw new HotmodError(LegacyBridgeErrorCode.STORE_URL_INVALID, `store URL parameter ${name}=${text.slice(0, 20)} is not usable; give a whole number above 0 (${scale === 1000 ? 'seconds' : 'milliseconds'})`, { parameter: name });
    }
    out[key] = n;
  };
  read('connect_timeout', 'connectTimeoutMs', 1000);
  read('keepalives_idle', 'keepAliveInitialDelayMs', 1000);
  read('statement_timeout', 'statementTimeoutMs', 1);
  read('query_timeout', 'queryTimeoutMs', 1);
  read('idle_in_transaction_session_timeout', 'idleInTransactionTimeoutMs', 1);
  return out;
}

/** The pg settings of every connection of the store (pool and LISTEN). */
function connectionConfig(url: string, t: PostgresTimeouts): pg.ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: t.connectTimeoutMs,
    statement_timeout: t.statementTimeoutMs,
    query_timeout: t.queryTimeoutMs,
    idle_in_transaction_session_timeout: t.idleInTransactionTimeoutMs,
    keepAlive: true,
    keepAliveInitialDelayMillis: t.keepAliveInitialDelayMs,
  };
}

/** A PostgreSQL server through a pg Pool, plus one dedicated connection for LISTEN. */
export async function openPostgresStore(url: string, displayUrl: string, options: { poolSize?: number; listenReconnectMs?: number } & Partial<PostgresTimeouts>): Promise<Store> {
  const timeouts = resolveTimeouts({ ...options, ...timeoutsInUrl(url) });
  const config = connectionConfig(url, timeouts);
  const pool = new pg.Pool({ ...config, max: options.poolSize ?? 5, idleTimeoutMillis: timeouts.idleTimeoutMs });
  // An idle client losing its connection emits 'error' on the pool; unhandled it would
  // crash the application server. The next query gets a fresh connection.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end().catch(() => {});
    throw wrapError(
      error,
      LegacyBridgeErrorCode.STORE_OPEN_FAILED,
      (reason) => `store ${displayUrl}: cannot connect to PostgreSQL: ${reason}; check the URL, that the server runs and accepts this user${/timeout/i.test(reason) ? ` (no answer within ${timeouts.connectTimeoutMs} ms: connectTimeoutMs)` : ''}`,
      { store: displayUrl },
    );
  }
  const listenerFactory: ListenerFactory = async () => {
    const client = new pg.Client(config);
    // Until the store's own listeners are on, a socket error must not go unhandled.
    client.on('error', () => {});
    await client.connect().catch(async (error: unknown) => {
      destroyClient(client);
      throw error;
    });
    return { client, dispose: () => endClient(client) };
  };
  return new PostgresStore(pool, displayUrl, options.listenReconnectMs ?? 200, true, listenerFactory, timeouts);
}

/**
 * Ends a client without waiting on the server: end() waits for the server to close its side,
 * which a partitioned server never does, so the socket is destroyed as well.
 */
function destroyClient(client: pg.ClientBase): void {
  const stream = (client as unknown as { connection?: { stream?: { destroy?: () => void } } }).connection?.stream;
  stream?.destroy?.();
}

async function endClient(client: pg.ClientBase): Promise<void> {
  const ended = (client as pg.Client).end().catch(() => {});
  destroyClient(client);
  await ended;
}

/**
 * A store over a pg Pool the application already has (the legacy API "given a pg
 * connection"): same SQL, transactions on pool clients, LISTEN on one client borrowed from
 * the pool. close() gives the borrowed client back and leaves the pool open (the caller
 * owns it). Schema migrations are not applied: call applyMigrations if needed.
 */
export function storeFromPgPool(pool: pg.Pool, options: { displayUrl?: string; listenReconnectMs?: number; listenHeartbeatMs?: number } = {}): Store {
  const listenerFactory: ListenerFactory = async () => {
    const client = await pool.connect();
    return { client, dispose: async () => client.release(true) };
  };
  // The application's pool keeps its own settings; only the LISTEN probe uses these.
  return new PostgresStore(pool, options.displayUrl ?? 'postgres (application pool)', options.listenReconnectMs ?? 200, false, listenerFactory, { ...DEFAULT_POSTGRES_TIMEOUTS, ...(options.listenHeartbeatMs ? { listenHeartbeatMs: options.listenHeartbeatMs } : {}) });
}

type ListenerFactory = () => Promise<{ client: pg.ClientBase; dispose(): Promise<void> }>;

interface Subscription {
  handler: (payload: string) => void;
  onGap?: GapHandler;
}

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly displayUrl: string;
  readonly #pool: pg.Pool;
  readonly #ownsPool: boolean;
  readonly #listenerFactory: ListenerFactory;
  readonly #bus = new ChangeBus();
  readonly #reconnectMs: number;
  readonly #channels = new Map<string, Set<Subscription>>();
  #listener: { client: pg.ClientBase; dispose(): Promise<void> } | undefined;
  #connecting: Promise<pg.ClientBase> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelay: number;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #timeouts: PostgresTimeouts;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, displayUrl: string, reconnectMs: number, ownsPool: boolean, listenerFactory: ListenerFactory, timeouts: PostgresTimeouts) {
    this.#pool = pool;
    this.#timeouts = timeouts;
    this.#ownsPool = ownsPool;
    this.#listenerFactory = listenerFactory;
    this.displayUrl = displayUrl;
    this.#reconnectMs = reconnectMs;
    this.#reconnectDelay = reconnectMs;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    return runQuery<T>(this.#pool, sql, params, this.displayUrl, this.#timeouts);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw wrapQueryError(error, 'BEGIN', this.displayUrl, this.#timeouts);
    }
    const displayUrl = this.displayUrl;
    const timeouts = this.#timeouts;
    // A checked-out client has no listener of the pool's: a backend that dies while this
    // transaction holds the client (terminated, restart, failover) emits 'error' here, and
    // unheard that would crash the process. The failure reaches fn through its next query.
    let broken = false;
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await runQuery(client, 'BEGIN', [], displayUrl, timeouts);
      const result = await fn({ query: <R>(sql: string, params: readonly unknown[] = []) => runQuery<R>(client, sql, params, displayUrl, timeouts) });
      await runQuery(client, 'COMMIT', [], displayUrl, timeouts);
      return result;
    } catch (error) {
      const wrapped = wrapQueryError(error, 'transaction', displayUrl, timeouts);
      // A lost or unanswering connection cannot roll back (the server does it when the session
      // ends); asking it to would only wait for another timeout.
      if (broken || isStoreFault(wrapped)) broken = true;
      else {
        try {
          await client.query('ROLLBACK');
        } catch {
          broken = true; // the connection is gone: do not hand it back to the pool
        }
      }
      throw wrapped;
    } finally {
      client.removeListener('error', onError);
      if (broken) destroyClient(client);
      client.release(broken);
    }
  }

  async exec(script: string): Promise<void> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    try {
      await this.#pool.query(script);
    } catch (error) {
      throw wrapQueryError(error, script, this.displayUrl, this.#timeouts);
    }
  }

  async listen(channel: string, handler: (payload: string) => void, onGap?: GapHandler): Promise<() => Promise<void>> {
    assertChannelName(channel);
    if (this.#closed) throw storeClosedError(this.displayUrl);
    const sub: Subscription = onGap ? { handler, onGap } : { handler };
    let subs = this.#channels.get(channel);
    const first = subs === undefined;
    if (!subs) this.#channels.set(channel, (subs = new Set()));
    subs.add(sub);
    const client = await this.#connectListener();
    if (first) await runQuery(client, `LISTEN ${channel}`, [], this.displayUrl, this.#timeouts);
    return async () => {
      const set = this.#channels.get(channel);
      if (!set?.delete(sub) || set.size > 0) return;
      this.#channels.delete(channel);
      if (this.#listener && !this.#closed) await this.#listener.client.query(`UNLISTEN ${channel}`).catch(() => {});
    };
  }

  async tryAdvisoryLock(namespace: number, key: number): Promise<AdvisoryLock | null> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    let handle: { client: pg.ClientBase; dispose(): Promise<void> };
    try {
      handle = await this.#listenerFactory();
    } catch (error) {
      throw wrapQueryError(error, 'advisory lock (connect)', this.displayUrl, this.#timeouts);
    }
    // A lost lock connection ends the session and with it the lock; it must not crash the process.
    handle.client.on('error', () => {});
    try {
      const { rows } = await runQuery<{ ok: boolean }>(handle.client, 'SELECT pg_try_advisory_lock($1, $2) AS ok', [namespace, key], this.displayUrl, this.#timeouts);
      if (rows[0]?.ok !== true) {
        await handle.dispose().catch(() => {});
        return null;
      }
    } catch (error) {
      await handle.dispose().catch(() => {});
      throw error;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await handle.client.query('SELECT pg_advisory_unlock($1, $2)', [namespace, key]).catch(() => {});
        await handle.dispose().catch(() => {});
      },
    };
  }

  async notify(channel: string, payload: string): Promise<void> {
    assertChannelName(channel);
    await this.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  announce(clients: readonly string[] | 'all'): void {
    this.#bus.announce(clients);
  }

  onAnnounce(listener: (clients: readonly string[] | 'all') => void): () => void {
    return this.#bus.on(listener);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearTimeout(this.#reconnectTimer);
      clearInterval(this.#heartbeat);
      const listener = this.#listener;
      this.#listener = undefined;
      await Promise.allSettled([listener?.dispose(), this.#ownsPool ? this.#pool.end() : undefined]);
    })();
    return this.#closing;
  }

  #connectListener(): Promise<pg.ClientBase> {
    if (this.#listener) return Promise.resolve(this.#listener.client);
    this.#connecting ??= (async () => {
      let handle: { client: pg.ClientBase; dispose(): Promise<void> };
      try {
        handle = await this.#listenerFactory();
      } catch (error) {
        throw wrapQueryError(error, 'LISTEN (connect)', this.displayUrl);
      }
      const client = handle.client;
      client.on('notification', (msg: pg.Notification) => {
        const subs = this.#channels.get(msg.channel);
        if (subs) for (const sub of [...subs]) safeCall(() => sub.handler(msg.payload ?? ''));
      });
      const lost = () => {
        if (this.#listener?.client !== client) return;
        this.#listener = undefined;
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
        destroyClient(client);
        handle.dispose().catch(() => {});
        this.#scheduleReconnect();
      };
      client.on('error', lost);
      client.on('end', lost);
      if (this.#closed) {
        await handle.dispose().catch(() => {});
        throw storeClosedError(this.displayUrl);
      }
      this.#listener = handle;
      this.#startHeartbeat(client, lost);
      return client;
    })().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
  }

  /**
   * A connection lost silently (a partition, a dead NAT entry) gives the LISTEN client no
   * 'error' and no 'end': notifications just stop. A probe every listenHeartbeatMs that gets
   * no answer within connectTimeoutMs counts as a lost connection: it is dropped and
   * re-established, and subscribers get onGap (their catch-up read).
   */
  #startHeartbeat(client: pg.ClientBase, lost: () => void): void {
    clearInterval(this.#heartbeat);
    let probing = false;
    this.#heartbeat = setInterval(() => {
      if (probing || this.#listener?.client !== client) return;
      probing = true;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('LISTEN probe unanswered')), this.#timeouts.connectTimeoutMs);
        timer.unref();
      });
      Promise.race([client.query('SELECT 1'), deadline])
        .catch(() => lost())
        .finally(() => {
          clearTimeout(timer);
          probing = false;
        });
    }, this.#timeouts.listenHeartbeatMs);
    this.#heartbeat.unref();
  }

  /** Reconnects the LISTEN connection with backoff, re-listens, and reports the gap. */
  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    this.#reconnectTimer = setTimeout(async () => {
      this.#reconnectTimer = undefined;
      if (this.#closed) return;
      try {
        const client = await this.#connectListener();
        for (const channel of this.#channels.keys()) await client.query(`LISTEN ${channel}`);
        this.#reconnectDelay = this.#reconnectMs;
        for (const subs of this.#channels.values()) for (const sub of subs) if (sub.onGap) safeCall(sub.onGap);
      } catch {
        this.#reconnectDelay = Math.min(this.#reconnectDelay * 2, 5000);
        this.#scheduleReconnect();
      }
    }, this.#reconnectDelay);
    this.#reconnectTimer.unref();
  }
}

function safeCall(fn: () => void): void {
  try {
    fn();
  } catch {
    // A subscriber's failure must not stop delivery to the others.
  }
}

async function runQuery<T>(client: pg.Pool | pg.ClientBase, sql: string, params: readonly unknown[], displayUrl: string, timeouts: PostgresTimeouts): Promise<QueryResult<T>> {
  try {
    const result = await client.query(sql, params as unknown[]);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  } catch (error) {
    throw wrapQueryError(error, sql, displayUrl, timeouts);
  }
}

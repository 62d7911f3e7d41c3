import pg from 'pg';
import { wrapError } from '../../errors.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import { assertChannelName } from './channelName.js';
import { ChangeBus } from './changeBus.js';
import { storeClosedError, wrapQueryError } from './storeErrors.js';
import type { GapHandler, Queryable, QueryResult, Store } from './types.js';

/** A PostgreSQL server through a pg Pool, plus one dedicated connection for LISTEN. */
export async function openPostgresStore(url: string, displayUrl: string, options: { poolSize?: number; listenReconnectMs?: number }): Promise<Store> {
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 5 });
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
      (reason) => `store ${displayUrl}: cannot connect to PostgreSQL: ${reason}; check the URL, that the server runs and accepts this user`,
      { store: displayUrl },
    );
  }
  const listenerFactory: ListenerFactory = async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect().catch(async (error: unknown) => {
      await client.end().catch(() => {});
      throw error;
    });
    return { client, dispose: () => client.end() };
  };
  return new PostgresStore(pool, displayUrl, options.listenReconnectMs ?? 200, true, listenerFactory);
}

/**
 * A store over a pg Pool the application already has (the legacy API "given a pg
 * connection"): same SQL, transactions on pool clients, LISTEN on one client borrowed from
 * the pool. close() gives the borrowed client back and leaves the pool open (the caller
 * owns it). Schema migrations are not applied: call applyMigrations if needed.
 */
export function storeFromPgPool(pool: pg.Pool, options: { displayUrl?: string; listenReconnectMs?: number } = {}): Store {
  const listenerFactory: ListenerFactory = async () => {
    const client = await pool.connect();
    return { client, dispose: async () => client.release(true) };
  };
  return new PostgresStore(pool, options.displayUrl ?? 'postgres (application pool)', options.listenReconnectMs ?? 200, false, listenerFactory);
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
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, displayUrl: string, reconnectMs: number, ownsPool: boolean, listenerFactory: ListenerFactory) {
    this.#pool = pool;
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
    return runQuery<T>(this.#pool, sql, params, this.displayUrl);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw wrapQueryError(error, 'BEGIN', this.displayUrl);
    }
    const displayUrl = this.displayUrl;
    let broken = false;
    try {
      await runQuery(client, 'BEGIN', [], displayUrl);
      const result = await fn({ query: <R>(sql: string, params: readonly unknown[] = []) => runQuery<R>(client, sql, params, displayUrl) });
      await runQuery(client, 'COMMIT', [], displayUrl);
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone: do not hand it back to the pool
      }
      throw wrapQueryError(error, 'transaction', displayUrl);
    } finally {
      client.release(broken);
    }
  }

  async exec(script: string): Promise<void> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    try {
      await this.#pool.query(script);
    } catch (error) {
      throw wrapQueryError(error, script, this.displayUrl);
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
    if (first) await runQuery(client, `LISTEN ${channel}`, [], this.displayUrl);
    return async () => {
      const set = this.#channels.get(channel);
      if (!set?.delete(sub) || set.size > 0) return;
      this.#channels.delete(channel);
      if (this.#listener && !this.#closed) await this.#listener.client.query(`UNLISTEN ${channel}`).catch(() => {});
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
      return client;
    })().finally(() => {
      this.#connecting = undefined;
    });
    return this.#connecting;
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

async function runQuery<T>(client: pg.Pool | pg.ClientBase, sql: string, params: readonly unknown[], displayUrl: string): Promise<QueryResult<T>> {
  try {
    const result = await client.query(sql, params as unknown[]);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  } catch (error) {
    throw wrapQueryError(error, sql, displayUrl);
  }
}

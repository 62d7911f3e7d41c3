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
  return new PostgresStore(pool, url, displayUrl, options.listenReconnectMs ?? 200);
}

interface Subscription {
  handler: (payload: string) => void;
  onGap?: GapHandler;
}

class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly displayUrl: string;
  readonly #pool: pg.Pool;
  readonly #url: string;
  readonly #bus = new ChangeBus();
  readonly #reconnectMs: number;
  readonly #channels = new Map<string, Set<Subscription>>();
  #listener: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelay: number;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(pool: pg.Pool, url: string, displayUrl: string, reconnectMs: number) {
    this.#pool = pool;
    this.#url = url;
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
      if (this.#listener && !this.#closed) await this.#listener.query(`UNLISTEN ${channel}`).catch(() => {});
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
      await Promise.allSettled([listener?.end(), this.#pool.end()]);
    })();
    return this.#closing;
  }

  #connectListener(): Promise<pg.Client> {
    if (this.#listener) return Promise.resolve(this.#listener);
    this.#connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.#url });
      client.on('notification', (msg) => {
        const subs = this.#channels.get(msg.channel);
        if (subs) for (const sub of [...subs]) safeCall(() => sub.handler(msg.payload ?? ''));
      });
      const lost = () => {
        if (this.#listener !== client) return;
        this.#listener = undefined;
        client.end().catch(() => {});
        this.#scheduleReconnect();
      };
      client.on('error', lost);
      client.on('end', lost);
      try {
        await client.connect();
      } catch (error) {
        client.removeAllListeners('end');
        await client.end().catch(() => {});
        throw wrapQueryError(error, 'LISTEN (connect)', this.displayUrl);
      }
      this.#listener = client;
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

async function runQuery<T>(client: pg.Pool | pg.PoolClient | pg.Client, sql: string, params: readonly unknown[], displayUrl: string): Promise<QueryResult<T>> {
  try {
    const result = await client.query(sql, params as unknown[]);
    return { rows: result.rows as T[], rowCount: result.rowCount ?? result.rows.length };
  } catch (error) {
    throw wrapQueryError(error, sql, displayUrl);
  }
}

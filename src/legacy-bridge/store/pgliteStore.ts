import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { wrapError } from '../../errors.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import { ChangeBus } from './changeBus.js';
import { storeClosedError, wrapQueryError } from './storeErrors.js';
import type { AdvisoryLock, GapHandler, Queryable, QueryResult, Store, StoreKind } from './types.js';
import { assertChannelName } from './channelName.js';

/**
 * Embedded PostgreSQL (PGlite, WASM) in this process: `memory` or a data directory.
 * One process at a time may open a data directory; several processes sharing a
 * configuration use PostgreSQL (docs/legacy-bridge.md).
 */
export async function openPgliteStore(dataDir: string | undefined, displayUrl: string): Promise<Store> {
  let db: PGlite;
  try {
    if (dataDir !== undefined) await mkdir(path.dirname(path.resolve(dataDir)), { recursive: true });
    db = dataDir === undefined ? await PGlite.create() : await PGlite.create(path.resolve(dataDir));
  } catch (error) {
    throw wrapError(
      error,
      LegacyBridgeErrorCode.STORE_OPEN_FAILED,
      (reason) =>
        `store ${displayUrl}: PGlite could not open ${dataDir === undefined ? 'an in-memory database' : `the data directory ${dataDir}`}: ${reason}; check that the directory is writable and that no other process has it open`,
      { store: displayUrl },
    );
  }
  return new PgliteStore(db, dataDir === undefined ? 'memory' : 'pglite', displayUrl);
}

class PgliteStore implements Store {
  readonly kind: StoreKind;
  readonly displayUrl: string;
  readonly #db: PGlite;
  readonly #bus = new ChangeBus();
  /** One process per data directory: the locks this store's callers hold are all there are. */
  readonly #locks = new Set<string>();
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(db: PGlite, kind: StoreKind, displayUrl: string) {
    this.#db = db;
    this.kind = kind;
    this.displayUrl = displayUrl;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async query<T = Record<string, unknown>>(sql: string, params: readonly unknown[] = []): Promise<QueryResult<T>> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    return runQuery<T>(this.#db, sql, params, this.displayUrl);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    const displayUrl = this.displayUrl;
    try {
      return await this.#db.transaction(async (tx) => fn({ query: <R>(sql: string, params: readonly unknown[] = []) => runQuery<R>(tx, sql, params, displayUrl) }));
    } catch (error) {
      throw wrapQueryError(error, 'transaction', displayUrl);
    }
  }

  async exec(script: string): Promise<void> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    try {
      await this.#db.exec(script);
    } catch (error) {
      throw wrapQueryError(error, script, this.displayUrl);
    }
  }

  async listen(channel: string, handler: (payload: string) => void, _onGap?: GapHandler): Promise<() => Promise<void>> {
    // In-process delivery cannot lose notifications, so there is never a gap to report.
    assertChannelName(channel);
    if (this.#closed) throw storeClosedError(this.displayUrl);
    const unlisten = await this.#db.listen(channel, handler);
    return async () => {
      if (!this.#closed) await unlisten();
    };
  }

  async tryAdvisoryLock(namespace: number, key: number): Promise<AdvisoryLock | null> {
    if (this.#closed) throw storeClosedError(this.displayUrl);
    const name = `${namespace}:${key}`;
    if (this.#locks.has(name)) return null;
    this.#locks.add(name);
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        this.#locks.delete(name);
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
      await this.#db.close();
    })();
    return this.#closing;
  }
}

async function runQuery<T>(db: Pick<PGlite, 'query'>, sql: string, params: readonly unknown[], displayUrl: string): Promise<QueryResult<T>> {
  try {
    const result = await db.query<T>(sql, params as unknown[]);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  } catch (error) {
    throw wrapQueryError(error, sql, displayUrl);
  }
}

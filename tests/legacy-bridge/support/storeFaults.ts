/**
 * A small TCP proxy of the tests' own between a store and PostgreSQL, to play the network:
 * `pass` forwards both ways; `hold()` is a partition (connections stay open, nothing gets
 * through in either direction, new connections are accepted and go nowhere); `heal()` ends
 * the partition: the connections it held are reset (as TCP gives up on them) and new ones
 * pass again; `drop()` resets every connection now (a failover's RST).
 */
import net from 'node:net';
import pg from 'pg';

export interface TcpProxy {
  /** postgres URL `target` with host and port replaced by the proxy's. */
  url(target: string): string;
  hold(): void;
  heal(): void;
  drop(): void;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

export async function startTcpProxy(upstream: { host: string; port: number }): Promise<TcpProxy> {
  let holding = false;
  let accepted = 0;
  const pairs = new Set<{ client: net.Socket; server: net.Socket | undefined; held: boolean }>();
  const server = net.createServer((client) => {
    accepted++;
    const pair: { client: net.Socket; server: net.Socket | undefined; held: boolean } = { client, server: undefined, held: holding };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      pair.server?.destroy();
    };
    client.on('error', end).on('close', end);
    if (holding) {
      client.on('data', () => {}); // a partition: the bytes go nowhere
      return;
    }
    const up = net.connect(upstream.port, upstream.host);
    pair.server = up;
    up.on('error', end).on('close', end);
    client.on('data', (d) => {
      if (!holding) up.write(d);
      else pair.held = true;
    });
    up.on('data', (d) => {
      if (!holding) client.write(d);
      else pair.held = true;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const resetAll = (only: (p: { held: boolean }) => boolean) => {
    for (const p of [...pairs]) {
      if (!only(p)) continue;
      p.client.resetAndDestroy();
      p.server?.destroy();
      pairs.delete(p);
    }
  };
  return {
    url(target) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    hold() {
      holding = true;
      for (const p of pairs) p.held = true;
    },
    heal() {
      holding = false;
      resetAll((p) => p.held);
    },
    drop() {
      resetAll(() => true);
    },
    get accepted() {
      return accepted;
    },
    async close() {
      resetAll(() => true);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The other fault: a restart or failover ends sessions. */
/** Terminates every backend of `database` but the caller's own; returns how many. */
export async function terminateBackends(database: string, filter = 'true'): Promise<number> {
  const admin = new pg.Client({ connectionString: process.env.HOTMOD_TEST_PG_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND ${filter}`,
      [database],
    );
    return Number(rows[0]!.n);
  } finally {
    await admin.end();
  }
}


/**
 * What the fleet tests share: a fresh PostgreSQL database per test (the legacy bridge
 * tests' helper), temp folders, host processes stopped after each test, the CLI in-process.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach } from 'vitest';
import { main } from '../../../src/cli/main.js';
import type { CliIO } from '../../../src/cli/io.js';
import { initLegacySchema, openStore, type Store } from '../../../src/legacy-bridge/index.js';
import { createTestDatabase, PG_URL } from '../../legacy-bridge/support/stores.js';
import { startHostProcess, type HostProcess } from './hostProcess.js';

export { PG_URL };

export interface FleetTestContext {
  /** This test's database. */
  url: string;
  /** A store on it, closed after the test. */
  store: Store;
  root: string;
  /** Starts a host process on this test's database; `appName` tags its connections (pg_stat_activity.application_name). */
  startHost(hostId: string, env?: Record<string, string>): Promise<HostProcess>;
  /** `hotmod <argv>` in this process: exit code and output. */
  cli(argv: string[]): Promise<{ code: number; out: string; err: string }>;
  /** Ends every backend of a host process (its pool and its LISTEN connection): a lost connection. */
  killConnections(hostId: string): Promise<number>;
}

export function withAppName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

/** Registers per-test setup and teardown; returns the context, filled before each test. */
export function fleetTestContext(): FleetTestContext {
  const ctx = {} as FleetTestContext;
  let db: { url: string; drop(): Promise<void> } | undefined;
  let hosts: HostProcess[] = [];
  beforeEach(async () => {
    db = await createTestDatabase();
    ctx.url = db.url;
    ctx.store = await openStore(db.url);
    await initLegacySchema(ctx.store);
    ctx.root = await mkdtemp(path.join(tmpdir(), 'hotmod-fleet-'));
  });
  afterEach(async () => {
    await Promise.allSettled(hosts.map((h) => h.stop()));
    await Promise.allSettled(hosts.map((h) => h.kill()));
    hosts = [];
    await ctx.store?.close();
    await db?.drop();
    await rm(ctx.root, { recursive: true, force: true });
  });
  ctx.startHost = async (hostId, env = {}) => {
    const modulesDir = path.join(ctx.root, `modules-${hostId}`);
    await mkdir(modulesDir, { recursive: true });
    const host = await startHostProcess({
      HOTMOD_STORE: withAppName(ctx.url, hostId),
      MODULES_DIR: modulesDir,
      HOST_ID: hostId,
      CACHE_DIR: path.join(ctx.root, `cache-${hostId}`),
      ...env,
    });
    hosts.push(host);
    return host;
  };
  ctx.cli = async (argv) => {
    let out = '';
    let err = '';
    const io: CliIO = { out: (t) => void (out += `${t}\n`), err: (t) => void (err += `${t}\n`), isTTY: false };
    const code = await main(argv, io);
    return { code, out, err };
  };
  ctx.killConnections = async (hostId) => {
    const admin = new pg.Client({ connectionString: ctx.url });
    await admin.connect();
    try {
      const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [hostId]);
      return rowCount ?? 0;
    } finally {
      await admin.end();
    }
  };
  return ctx;
}

/** Polls until `fn` gives a truthy value (generous: the machine is shared). */
export async function eventually<T>(fn: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

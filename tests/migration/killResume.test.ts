/**
 * A real crash: the migration script runs in a child process and is killed with SIGKILL
 * after some batches committed; a second run resumes and finishes. PGlite (a data
 * directory) always; the PostgreSQL server when HOTMOD_TEST_PG_URL is set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type MigrationRunReport, type Store } from '../../src/legacy-bridge/index.js';
import { generateClients, snapshotRows } from '../fixtures/migration/generateClients.js';
import { createTestDatabase, MODULES_DIR, PG_URL } from './support/stores.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = path.join(ROOT, 'scripts/migration/unify-module-systems.ts');
const N = 2000;

interface Child {
  proc: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runScript(args: string[]): Child {
  const proc = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
  const stdout: string[] = [];
  const stderr: string[] = [];
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return { proc, stdout, stderr, exited };
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function checkExactlyOnce(store: Store, report: MigrationRunReport, before: Awaited<ReturnType<typeof snapshotRows>>): Promise<void> {
  expect(report.status).toBe('completed');
  expect(report.resumed).toBe(true);
  expect(report.counts).toMatchObject({ total: N, pending: 0, failed: 0 });
  expect(report.counts.migrated + report.counts.skipped).toBe(N);
  expect(report.verification!.mismatches).toEqual([]);
  const { rows: runs } = await store.query<{ n: number }>('SELECT count(*)::int AS n FROM hotmod_migration_runs');
  expect(Number(runs[0]!.n)).toBe(1);
  // Exactly once: one backup per migrated client (UNIQUE(run_id, client_id) holds it), none for the others.
  const { rows: backups } = await store.query<{ client_id: string; n: number }>('SELECT client_id, count(*)::int AS n FROM hotmod_migration_backups GROUP BY client_id');
  expect(backups.length).toBe(report.counts.migrated);
  expect(backups.every((b) => Number(b.n) === 1)).toBe(true);
  // Each migrated client's rows were written by one transaction: one migrated_at per client.
  const { rows: stamps } = await store.query<{ n: number }>(
    `SELECT count(DISTINCT migrated_at)::int AS n FROM hotmod_module_configs WHERE source = 'migration' AND migrated_at > '2026-01-01' GROUP BY client_id ORDER BY 1 DESC LIMIT 1`,
  );
  expect(Number(stamps[0]!.n)).toBe(1);
  // Nothing lost: every legacy row and registry row of before is still there; legacy rows changed only for intended differences.
  const after = await snapshotRows(store);
  expect(after.legacy.size).toBe(before.legacy.size);
  for (const key of before.registry.keys()) expect(after.registry.has(key)).toBe(true);
  const changed = [...before.legacy].filter(([id, text]) => after.legacy.get(id) !== text).length;
  const { rows: intended } = await store.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM hotmod_migration_run_clients WHERE jsonb_array_length(COALESCE(changes -> 'differences', '[]'::jsonb)) > 0`,
  );
  expect(changed).toBe(Number(intended[0]!.n));
}

describe('kill -9 in the middle of a run, then a re-run resumes [pglite]', () => {
  let dir: string | undefined;
  let child: Child | undefined;
  afterEach(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    child = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('migrates every client exactly once and loses nothing', { timeout: 300_000 }, async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hotmod-mig-'));
    const url = `pglite://${path.join(dir, 'db')}`;
    let store = await openStore(url);
    await generateClients(store, N);
    const before = await snapshotRows(store);
    await store.close();

    // PGlite allows one process per data directory: follow the child's per-batch progress lines.
    child = runScript(['--all', '--store', url, '--modules', MODULES_DIR, '--batch-size', '40']);
    await waitFor(() => /migration batch (1[0-9]|[2-9][0-9]):/.test(child!.stderr.join('')), 180_000, 'ten committed batches');
    child.proc.kill('SIGKILL');
    const killed = await child.exited;
    expect(killed.signal).toBe('SIGKILL');

    store = await openStore(url);
    const { rows } = await store.query<{ status: string; n: number }>('SELECT status, count(*)::int AS n FROM hotmod_migration_run_clients GROUP BY status');
    const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    expect(byStatus.pending).toBeGreaterThan(0);
    expect((byStatus.migrated ?? 0) + (byStatus.skipped ?? 0)).toBeGreaterThanOrEqual(400);
    expect((await store.query<{ status: string }>('SELECT status FROM hotmod_migration_runs')).rows[0]!.status).toBe('running');
    await store.close();

    child = runScript(['--all', '--store', url, '--modules', MODULES_DIR, '--batch-size', '40', '--json']);
    const done = await child.exited;
    expect(done.code, child.stderr.join('')).toBe(0);
    const report = JSON.parse(child.stdout.join('')) as MigrationRunReport;
    store = await openStore(url);
    try {
      await checkExactlyOnce(store, report, before);
    } finally {
      await store.close();
    }
  });
});

describe('kill -9 in the middle of a run, then a re-run resumes [postgres]', () => {
  if (!PG_URL) {
    it.skip('SKIPPED: PostgreSQL server tests need HOTMOD_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test)', () => {});
    return;
  }
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  let child: Child | undefined;
  let store: Store | undefined;
  afterEach(async () => {
    if (child && child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGKILL');
    await store?.close();
    await db?.drop();
    child = undefined;
    store = undefined;
    db = undefined;
  });

  it('migrates every client exactly once and loses nothing', { timeout: 300_000 }, async () => {
    db = await createTestDatabase();
    store = await openStore(db.url);
    await generateClients(store, N);
    const before = await snapshotRows(store);

    child = runScript(['--all', '--store', db.url, '--modules', MODULES_DIR, '--batch-size', '25']);
    // Poll the run table from here while the child runs.
    await waitFor(
      async () => {
        const r = await store!.query<{ n: number }>(`SELECT count(*)::int AS n FROM hotmod_migration_run_clients WHERE status <> 'pending'`).catch(() => ({ rows: [{ n: 0 }] }));
        return Number(r.rows[0]!.n) >= 300;
      },
      180_000,
      'some committed batches',
    );
    child.proc.kill('SIGKILL');
    expect((await child.exited).signal).toBe('SIGKILL');
    const { rows } = await store.query<{ n: number }>(`SELECT count(*)::int AS n FROM hotmod_migration_run_clients WHERE status = 'pending'`);
    expect(Number(rows[0]!.n)).toBeGreaterThan(0);

    child = runScript(['--all', '--store', db.url, '--modules', MODULES_DIR, '--batch-size', '25', '--json']);
    const done = await child.exited;
    expect(done.code, child.stderr.join('')).toBe(0);
    await checkExactlyOnce(store, JSON.parse(child.stdout.join('')) as MigrationRunReport, before);
  });
});

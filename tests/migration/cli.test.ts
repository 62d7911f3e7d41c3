import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProgressPrinter } from '../../src/cli/commands/migrate.js';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { openStore, type MigrationRunReport } from '../../src/legacy-bridge/index.js';
import { generateClients, snapshotRows } from '../fixtures/migration/generateClients.js';
import { MODULES_DIR } from './support/stores.js';

function capture(isTTY = false): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, isTTY, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

let dir: string;
let url: string;
let before: Awaited<ReturnType<typeof snapshotRows>>;
const N = 600;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hotmod-mig-cli-'));
  url = `pglite://${path.join(dir, 'db')}`;
  const store = await openStore(url);
  await generateClients(store, N, { failEvery: 50 });
  before = await snapshotRows(store);
  await store.close();
}, 120_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const common = () => ['--store', url, '--modules', MODULES_DIR];

describe('hotmod migrate', () => {
  it('exits 2 with the reason on usage errors', async () => {
    for (const [argv, message] of [
      [['migrate'], /say what to do: plan, run, verify or rollback/],
      [['migrate', 'run', ...common()], /say which clients: --all, or --client ID/],
      [['migrate', 'plan', '--all', '--strategy', 'overwrite', ...common()], /--strategy must be one of merge, replace, preserve/],
      [['migrate', 'run', '--all', '--max-failure-rate', '150%', ...common()], /--max-failure-rate needs a share from 0 to 1/],
      [['migrate', 'run', '--all', '--batch-size', '0', ...common()], /--batch-size needs a whole number from 1 to 10000/],
      [['migrate', 'rollback', ...common()], /rollback needs --run ID or --backup ID/],
      [['migrate', 'run', '--all', '--client', 'x', ...common()], /either --all or --client/],
    ] as const) {
      const io = capture();
      expect(await main([...argv], io)).toBe(2);
      expect(io.stderr.join('\n')).toMatch(message);
    }
  });

  it('plan --json writes nothing and reports what a run would do', { timeout: 120_000 }, async () => {
    const io = capture();
    expect(await main(['migrate', 'plan', '--all', '--json', ...common()], io)).toBe(0);
    const report = JSON.parse(io.stdout.join('')) as MigrationRunReport;
    expect(report).toMatchObject({ dryRun: true, status: 'planned', strategy: 'merge', runId: null });
    expect(report.counts.total).toBe(N);
    expect(report.counts.failed).toBe(N / 50);
    expect(report.failures[0]).toMatchObject({ reason: 'E_MIGRATION_OUT_OF_STEP' });

    // run --dry-run is the same as plan; --client narrows it to the clients named.
    const narrow = capture();
    const two = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
    expect(await main(['migrate', 'run', '--dry-run', '--client', two.join(','), '--strategy', 'replace', '--json', ...common()], narrow)).toBe(0);
    expect(JSON.parse(narrow.stdout.join(''))).toMatchObject({ dryRun: true, status: 'planned', strategy: 'replace', counts: { total: 2 } });
    const store = await openStore(url);
    try {
      const now = await snapshotRows(store);
      expect([...now.legacy].sort()).toEqual([...before.legacy].sort());
      expect((await store.query("SELECT 1 FROM pg_tables WHERE tablename = 'hotmod_migration_runs'")).rows.length === 0 || (await store.query('SELECT 1 FROM hotmod_migration_runs')).rows.length === 0).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('run prints a plain progress line per batch with rate and ETA, then the report; verify and rollback follow', { timeout: 180_000 }, async () => {
    const io = capture(false);
    // 12 clients fail, below the allowed 5%: the run completes, and says so with its own exit status.
    expect(await main(['migrate', 'run', '--all', '--batch-size', '100', '--max-failure-rate', '5%', ...common()], io)).toBe(3);
    const lines = io.stderr.filter((l) => l.startsWith('migration batch'));
    expect(lines.length).toBe(N / 100);
    expect(lines.at(-1)).toMatch(/^migration batch 6: 100\.0% 600\/600 migrated \d+ skipped \d+ failed 12 · \d+ clients\/s · ETA 0s \(run run-/);
    const out = io.stdout.join('\n');
    expect(out).toMatch(/run run-\S+ \(merge\): completed — 600 clients/);
    expect(out).toMatch(/E_MIGRATION_OUT_OF_STEP +12/);
    expect(out).toMatch(/verification: \d+ migrated clients checked, \d+ with the same effective module set, 0 changed/);
    expect(out).toMatch(/12 clients failed \(below the allowed 5\.0%\): they were left as they were; the run completed without them \(exit status 3\)/);
    expect(out).toMatch(/failures:\n  00000000-0000-4000-8000-000000000000  E_MIGRATION_OUT_OF_STEP: /);
    const runId = /run (run-\S+) \(merge\)/.exec(out)![1]!;

    const verify = capture();
    expect(await main(['migrate', 'verify', '--run', runId, '--json', ...common()], verify)).toBe(0);
    expect(JSON.parse(verify.stdout.join(''))).toMatchObject({ run: { runId, status: 'completed' }, verification: { mismatches: [] } });

    const list = capture();
    expect(await main(['migrate', 'verify', ...common()], list)).toBe(0);
    expect(list.stdout.join('\n')).toMatch(new RegExp(`${runId} +merge +completed +done +600`));

    const one = capture();
    expect(await main(['migrate', 'verify', '--client', '00000000-0000-4000-8000-000000000001', ...common()], one)).toBe(0);
    expect(one.stdout.join('\n')).toMatch(/00000000-0000-4000-8000-000000000001: valid — effective \[accounts, payments\]/);

    const rollback = capture();
    expect(await main(['migrate', 'rollback', '--run', runId, ...common()], rollback)).toBe(0);
    expect(rollback.stdout.join('\n')).toMatch(new RegExp(`run ${runId} rolled back: \\d+ clients restored`));
    const store = await openStore(url);
    try {
      const after = await snapshotRows(store);
      expect([...after.legacy].sort()).toEqual([...before.legacy].sort());
      expect([...after.registry].sort()).toEqual([...before.registry].sort());
    } finally {
      await store.close();
    }
  });

  it('exits 1 and says why when validation predicts more failures than allowed', { timeout: 180_000 }, async () => {
    const io = capture();
    expect(await main(['migrate', 'run', '--all', '--batch-size', '200', '--max-failure-rate', '0.01', '--json', ...common()], io)).toBe(1);
    const report = JSON.parse(io.stdout.join('')) as MigrationRunReport;
    expect(report.status).toBe('refused');
    expect(report.validation!.refused).toMatchObject({ reason: 'E_MIGRATION_FAILURE_RATE' });
    const human = capture();
    expect(await main(['migrate', 'run', '--all', '--max-failure-rate', '1%', ...common()], human)).toBe(1);
    expect(human.stdout.join('\n')).toMatch(/refused \(E_MIGRATION_FAILURE_RATE\): run \S+ refused at validation: 12 of 600 clients checked would fail \(2\.0%, more than the allowed 1\.0%\); nothing was changed/);
  });

  it('draws a bar with rate and ETA on a terminal', () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => (written.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      const printer = createProgressPrinter(capture(true), true);
      printer.update({ runId: 'r', phase: 'migration', total: 1000, done: 250, migrated: 200, skipped: 40, failed: 10, rate: 125, etaSeconds: 6, batch: 3 });
      printer.end();
    } finally {
      process.stderr.write = original;
    }
    expect(written[0]).toBe('\r\x1b[2Kmigration    [######..................]  25% 250/1000 migrated 200 skipped 40 failed 10 · 125 clients/s · ETA 6s');
    expect(written[1]).toBe('\n');
  });
});

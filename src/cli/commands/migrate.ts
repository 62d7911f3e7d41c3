import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_MAX_FAILURE_RATE,
  DEFAULT_STORE_URL,
  MIGRATION_STRATEGIES,
  ModuleDataMigrator,
  loadCatalogView,
  openStore,
  type MigrationProgress,
  type MigrationRunReport,
  type MigrationStrategy,
} from '../../legacy-bridge/index.js';
import { parseArgs, stringFlag, UsageError, type ParsedArgs } from '../args.js';
import { printJson, table, type CliIO } from '../io.js';
import type { Command } from '../command.js';

const USAGE = `hotmod migrate plan|run|verify|rollback [options]

  plan      analysis + validation: what a run would do, per client; writes nothing
  run       the five phases: analysis, validation, backup, migration, verification
            (resumes an unfinished run; --run ID names it)
  verify    --run ID: recompute every migrated client's effective set;
            --client ID: check one client; neither: list the runs
  rollback  --run ID: restore every client of a run from its backups;
            --backup ID: restore one client

options:
  --all                    every client (clients, client_app_overrides, hotmod_module_configs)
  --client ID[,ID…]        only these clients
  --strategy S             merge (default) | replace | preserve (docs/migration.md)
  --batch-size N           clients per transaction (default ${DEFAULT_BATCH_SIZE})
  --max-failure-rate R     roll the run back when more than R of its clients fail
                           (0.1 or 10%; default ${DEFAULT_MAX_FAILURE_RATE})
  --dry-run                with run: the same as plan
  --run ID                 resume / verify / roll back this run
  --backup ID              rollback: one client's backup
  --overwrite-later-writes rollback: restore clients written after their backup too,
                           discarding those writes (default: keep them, list them)
  --store URL              default ${DEFAULT_STORE_URL}
  --modules DIR            the modules directory the application runs (default ./modules)
  --json                   a JSON report on stdout (progress stays on stderr); lists
                           every failed client

exit status: 0 done (every client migrated or skipped; rollback: every client restored)
             1 refused, rolled back, verification failed, or an error
             2 usage
             3 done, but some clients failed (below --max-failure-rate) or, after a
               rollback, need attention: they are listed with the reason`;

/** Exit status of a run or rollback that finished with clients failed or left for attention (docs/migration.md). */
export const EXIT_CLIENTS_NEED_ATTENTION = 3;

const SUBCOMMANDS = ['plan', 'run', 'verify', 'rollback'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

function parseRate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const percent = text.endsWith('%');
  const n = Number(percent ? text.slice(0, -1) : text);
  const rate = percent ? n / 100 : n;
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) throw new UsageError(`--max-failure-rate needs a share from 0 to 1 or a percentage (0.1, 10%), got '${text}'`);
  return rate;
}

function parseBatchSize(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new UsageError(`--batch-size needs a whole number from 1 to 10000, got '${text}'`);
  return n;
}

function parseStrategy(text: string | undefined): MigrationStrategy | undefined {
  if (text === undefined) return undefined;
  if (!MIGRATION_STRATEGIES.includes(text as MigrationStrategy)) throw new UsageError(`--strategy must be one of ${MIGRATION_STRATEGIES.join(', ')}, got '${text}'`);
  return text as MigrationStrategy;
}

function clientsOf(args: ParsedArgs, required: boolean): 'all' | string[] | undefined {
  const client = stringFlag(args, 'client');
  if (args.flags.all && client !== undefined) throw new UsageError('give either --all or --client, not both');
  if (args.flags.all) return 'all';
  if (client !== undefined) {
    const ids = client.split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) throw new UsageError('--client needs at least one client id');
    return ids;
  }
  if (required) throw new UsageError('say which clients: --all, or --client ID (or --run ID to resume a run)');
  return undefined;
}

const fmtSeconds = (s: number | null) => (s === null || !Number.isFinite(s) ? '--' : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.ceil(s)}s`);

/**
 * Progress on stderr: a redrawn bar with rate and ETA on a terminal, plain lines otherwise
 * (one per batch, so logs and supervising processes can follow a run).
 */
export function createProgressPrinter(io: CliIO, terminal: boolean): { update(p: MigrationProgress): void; end(): void } {
  let drawn = false;
  return {
    update(p) {
      const pct = p.total > 0 ? Math.min(100, (100 * p.done) / p.total) : 100;
      const counts = p.phase === 'migration' || p.phase === 'validation' ? ` migrated ${p.migrated} skipped ${p.skipped} failed ${p.failed}` : '';
      const tail = `${p.done}/${p.total}${counts} · ${Math.round(p.rate)} clients/s · ETA ${fmtSeconds(p.etaSeconds)}`;
      if (terminal) {
        const width = 24;
        const filled = Math.round((pct / 100) * width);
        process.stderr.write(`\r\x1b[2K${p.phase.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct.toFixed(0).padStart(3)}% ${tail}`);
        drawn = true;
      } else {
        io.err(`${p.phase}${p.batch !== undefined ? ` batch ${p.batch}` : ''}: ${pct.toFixed(1)}% ${tail}${p.runId ? ` (run ${p.runId})` : ''}`);
      }
    },
    end() {
      if (drawn) process.stderr.write('\n');
      drawn = false;
    },
  };
}

function summary(report: MigrationRunReport): string {
  const c = report.counts;
  const lines: string[] = [];
  const head = report.dryRun
    ? `plan (${report.strategy}): ${c.total} clients — would migrate ${c.migrated}, skip ${c.skipped}, fail ${c.failed}; nothing was written`
    : `run ${report.runId} (${report.strategy})${report.resumed ? ' resumed' : ''}: ${report.status} — ${c.total} clients: migrated ${c.migrated}, skipped ${c.skipped}, failed ${c.failed}, rolled back ${c.rolledBack}`;
  lines.push(head);
  lines.push(`phases: ${report.phases.map((p) => `${p.name} ${(p.ms / 1000).toFixed(2)}s`).join(', ')}; ${report.clientsPerSecond} clients/s`);
  const reasons = Object.entries(report.reasons);
  if (reasons.length > 0) lines.push('', table(['REASON', 'CLIENTS'], reasons.map(([r, n]) => [r, String(n)])));
  if (report.failures.length > 0) {
    lines.push('', 'failures:');
    for (const f of report.failures.slice(0, 20)) lines.push(`  ${f.clientId}  ${f.reason}: ${f.message}`);
    const more = report.failures.length - 20 + (report.truncated?.failures ?? 0);
    if (more > 0) lines.push(`  … ${more} more (--json lists up to 1000; hotmod_migration_run_clients has all)`);
  }
  if (report.differences.length > 0) {
    lines.push('', 'intended differences (the effective module set is unchanged):');
    for (const d of report.differences.slice(0, 10)) lines.push(`  ${d.clientId}: ${d.changes.map((x) => x.detail).join('; ')}`);
    const more = report.differences.length - 10 + (report.truncated?.differences ?? 0);
    if (more > 0) lines.push(`  … ${more} more clients (--json)`);
  }
  if (report.validation) {
    const v = report.validation;
    lines.push('', `validation: ${v.sampled} clients planned before any change, ${v.predictedFailures} would fail`);
    if (v.refused) {
      lines.push(`refused (${v.refused.reason}): ${v.refused.message}`);
      for (const f of v.failures.slice(0, 20)) lines.push(`  ${f.clientId}  ${f.reason}: ${f.message}`);
    }
  }
  if (report.verification) {
    const v = report.verification;
    lines.push('', `verification: ${v.checked} migrated clients checked, ${v.unchanged} with the same effective module set, ${v.mismatches.length} changed${v.laterWrites.length > 0 ? `, ${v.laterWrites.length} written since by the application (not compared)` : ''}`);
    for (const m of v.mismatches.slice(0, 20)) lines.push(`  ${m.clientId}: [${m.before.join(', ')}] -> [${m.after.join(', ')}]`);
  }
  if (report.rollback) lines.push('', `rolled back (${report.rollback.reason}): ${report.rollback.message}; ${report.rollback.restored} clients restored`);
  if (report.attention.length > 0) lines.push('', ...attentionLines(report.attention, report.truncated?.attention ?? 0));
  if (!report.dryRun && report.status === 'completed' && c.failed > 0) {
    lines.push('', `${c.failed} clients failed (below the allowed ${(100 * report.maxFailureRate).toFixed(1)}%): they were left as they were; the run completed without them (exit status ${EXIT_CLIENTS_NEED_ATTENTION}); fix the reasons above and run again to migrate them`);
  }
  return lines.join('\n');
}

function attentionLines(attention: readonly { clientId: string; reason: string; message: string }[], leftOut: number): string[] {
  const lines = [`${attention.length + leftOut} clients need attention (left as they are):`];
  for (const a of attention.slice(0, 20)) lines.push(`  ${a.clientId}  ${a.reason}: ${a.message}`);
  const more = attention.length - 20 + leftOut;
  if (more > 0) lines.push(`  … ${more} more (--json lists them all)`);
  return lines;
}

export const command: Command = {
  summary: 'Migrate legacy client_app_overrides to the unified registry: plan, run, verify, rollback',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, {
      values: ['client', 'strategy', 'batch-size', 'max-failure-rate', 'store', 'modules', 'run', 'backup'],
      booleans: ['all', 'dry-run', 'overwrite-later-writes'],
    });
    const [sub, ...extra] = args.positionals;
    if (sub === undefined || !SUBCOMMANDS.includes(sub as Sub)) throw new UsageError(sub === undefined ? 'say what to do: plan, run, verify or rollback' : `unknown subcommand '${sub}'`);
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const json = args.flags.json === true;
    const runId = stringFlag(args, 'run');
    const backupId = stringFlag(args, 'backup');
    const strategy = parseStrategy(stringFlag(args, 'strategy'));
    const batchSize = parseBatchSize(stringFlag(args, 'batch-size'));
    const maxFailureRate = parseRate(stringFlag(args, 'max-failure-rate'));
    const dryRun = sub === 'plan' || args.flags['dry-run'] === true;
    const clients = sub === 'plan' || (sub === 'run' && runId === undefined) ? clientsOf(args, true) : clientsOf(args, false);
    if (sub === 'rollback' && runId === undefined && backupId === undefined) throw new UsageError('rollback needs --run ID or --backup ID');

    const storeUrl = stringFlag(args, 'store') ?? DEFAULT_STORE_URL;
    const modulesDir = stringFlag(args, 'modules') ?? 'modules';
    const store = await openStore(storeUrl);
    const printer = createProgressPrinter(io, io.isTTY && !json);
    try {
      const { catalog, refused } = await loadCatalogView(modulesDir);
      if (refused > 0 && !json) io.err(`note: ${refused} package(s) in ${modulesDir} were left out because of manifest errors; run hotmod check ${modulesDir}`);
      const migrator = new ModuleDataMigrator(store, { catalog: () => catalog });

      if (sub === 'plan' || sub === 'run') {
        const report = await migrator.runMigration({
          ...(clients !== undefined ? { clients } : {}),
          ...(strategy !== undefined ? { strategy } : {}),
          ...(batchSize !== undefined ? { batchSize } : {}),
          ...(maxFailureRate !== undefined ? { maxFailureRate } : {}),
          ...(runId !== undefined ? { runId } : {}),
          dryRun,
          ...(json ? { listAll: true } : {}),
          onProgress: (p) => printer.update(p),
        });
        printer.end();
        if (json) printJson(io, report);
        else io.out(summary(report));
        if (report.status === 'planned') return 0;
        if (report.status !== 'completed') return 1;
        return report.counts.failed > 0 ? EXIT_CLIENTS_NEED_ATTENTION : 0;
      }

      if (sub === 'verify') {
        if (runId !== undefined) {
          const v = await migrator.verifyRun(runId);
          const progress = await migrator.getRunProgress(runId);
          if (json) printJson(io, { run: progress, verification: v });
          else {
            io.out(`run ${runId} (${progress.strategy}, ${progress.status}): ${v.checked} migrated clients checked, ${v.unchanged} with the same effective module set, ${v.mismatches.length} changed, ${v.laterWrites.length} written since by the application (not compared)`);
            for (const m of v.mismatches.slice(0, 50)) io.out(`  ${m.clientId}: [${m.before.join(', ')}] -> [${m.after.join(', ')}]`);
          }
          return v.mismatches.length === 0 ? 0 : 1;
        }
        if (Array.isArray(clients)) {
          const results = [];
          for (const id of clients) results.push(await migrator.validateModuleMigration(id));
          if (json) printJson(io, { clients: results });
          else {
            for (const r of results) {
              io.out(`${r.clientId}: ${r.valid ? 'valid' : 'not valid'} — effective [${r.effective.join(', ')}], migrated [${r.migrated.join(', ')}]${r.unmigrated.length ? `, not migrated [${r.unmigrated.join(', ')}]` : ''}`);
              for (const i of r.issues) io.out(`  ${i.code}: ${i.message}`);
            }
          }
          return results.every((r) => r.valid) ? 0 : 1;
        }
        const runs = await migrator.listRuns();
        if (json) printJson(io, { runs });
        else if (runs.length === 0) io.out('no migration runs yet; start one with hotmod migrate plan --all');
        else
          io.out(
            table(
              ['RUN', 'STRATEGY', 'STATUS', 'PHASE', 'TOTAL', 'MIGRATED', 'SKIPPED', 'FAILED', 'ROLLED BACK', 'STARTED'],
              runs.map((r) => [r.runId, r.strategy, r.status, r.phase, String(r.total), String(r.migrated), String(r.skipped), String(r.failed), String(r.rolledBack), r.startedAt.toISOString()]),
            ),
          );
        return 0;
      }

      // rollback
      const overwriteLaterWrites = args.flags['overwrite-later-writes'] === true;
      if (backupId !== undefined) {
        const r = await migrator.rollbackModuleMigration(backupId, { overwriteLaterWrites });
        if (json) printJson(io, r);
        else io.out(`restored client ${r.clientId} from backup ${r.backupId} (run ${r.runId})`);
        return 0;
      }
      const total = (await migrator.getRunProgress(runId!)).migrated;
      const started = Date.now();
      const r = await migrator.rollbackRun(runId!, {
        overwriteLaterWrites,
        onBatch: (n) => {
          const s = (Date.now() - started) / 1000;
          const rate = s > 0 ? n / s : 0;
          printer.update({ runId: runId!, phase: 'rollback', total, done: n, migrated: 0, skipped: 0, failed: 0, rate, etaSeconds: rate > 0 ? (total - n) / rate : null });
        },
      });
      printer.end();
      if (json) printJson(io, r);
      else {
        io.out(`run ${r.runId} rolled back: ${r.restored} clients restored from their backups${r.attention.length > 0 ? `, ${r.attention.length} clients need attention` : ''}`);
        if (r.attention.length > 0) io.out(attentionLines(r.attention, 0).join('\n'));
      }
      return r.attention.length > 0 ? EXIT_CLIENTS_NEED_ATTENTION : 0;
    } finally {
      printer.end();
      await store.close();
    }
  },
};

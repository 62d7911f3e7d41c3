import type { CatalogView } from '../../types.js';
import { HotmodError } from '../../errors.js';
import { loadClientStates } from './batchRepository.js';
import { MigrationErrorCode } from './errors.js';
import { planClientMigration, type ClientMigrationPlan } from './planClientMigration.js';
import { yieldToEventLoop, type Tally } from './runProgress.js';
import { sampleRunClients } from './runRepository.js';
import { VALIDATION_SAMPLE_MAX, type ClientFailure, type RunContext, type ValidationReport } from './runTypes.js';

/**
 * Phase 2, validation, before any change: the catalog, then the plans of a spread sample
 * of the run's clients (all of them in small runs) on their rows as they are now. Each
 * client is validated again inside its batch, under its lock.
 */

export function assertCatalog(catalog: CatalogView): void {
  if (catalog.modules().length === 0) {
    throw new HotmodError(
      MigrationErrorCode.CATALOG_EMPTY,
      'migration validation: the catalog has no usable module, so every legacy entry would look unknown; pass the modules directory the application runs (--modules DIR) and check it with hotmod check',
      {},
    );
  }
}

/** Plans a spread sample of the run's clients (all of them in small runs) on their current rows; writes nothing. */
export async function validateSample(
  ctx: RunContext,
  runId: string,
  pageSize: number,
  onPage: (checked: number, total: number, tally: Tally) => void,
): Promise<ValidationReport> {
  const ids = await sampleRunClients(ctx.store, runId, VALIDATION_SAMPLE_MAX);
  const { tally, reasons, failures } = await planPages(ctx, ids, pageSize, { failuresMax: 50, onPage });
  return { sampled: ids.length, predictedFailures: tally.failed, reasons, failures };
}

/**
 * Plans clients page by page on their rows as they are now, writing nothing (the validation
 * sample and the dry run): yields to the event loop before each page, counts outcomes and
 * reasons, keeps the first `failuresMax` failures (counting the rest), hands each migrating
 * plan to `onMigrate` and reports progress after each page.
 */
export async function planPages(
  ctx: Pick<RunContext, 'store' | 'catalog' | 'strategy' | 'legacyTable'>,
  ids: readonly string[],
  pageSize: number,
  on: { failuresMax: number; onMigrate?: (clientId: string, plan: ClientMigrationPlan) => void; onPage: (checked: number, total: number, tally: Tally) => void },
): Promise<{ tally: Tally; reasons: Record<string, number>; failures: ClientFailure[]; failuresLeftOut: number }> {
  const tally: Tally = { migrated: 0, skipped: 0, failed: 0 };
  const reasons: Record<string, number> = {};
  const failures: ClientFailure[] = [];
  let failuresLeftOut = 0;
  for (let i = 0; i < ids.length; i += pageSize) {
    await yieldToEventLoop();
    const page = ids.slice(i, i + pageSize);
    const states = await loadClientStates(ctx.store, page, ctx.legacyTable);
    for (const id of page) {
      const plan = planClientMigration(states.get(id)!, ctx.catalog, ctx.strategy);
      if (plan.reason) reasons[plan.reason] = (reasons[plan.reason] ?? 0) + 1;
      if (plan.outcome === 'fail') {
        tally.failed++;
        if (failures.length < on.failuresMax) failures.push({ clientId: id, reason: plan.reason!, message: plan.message! });
        else failuresLeftOut++;
      } else if (plan.outcome === 'skip') tally.skipped++;
      else {
        tally.migrated++;
        on.onMigrate?.(id, plan);
      }
    }
    on.onPage(Math.min(ids.length, i + page.length), ids.length, tally);
  }
  return { tally, reasons, failures, failuresLeftOut };
}

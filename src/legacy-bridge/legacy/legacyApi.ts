import type { CatalogView } from '../../types.js';
import { HotmodError } from '../../errors.js';
import { normalizeLegacyClientId } from '../clientId.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import type pg from 'pg';
import type { Store } from '../store/types.js';
import { storeFromPgPool } from '../store/postgresStore.js';
import { wrapQueryError } from '../store/storeErrors.js';
import type { LegacyOverridesRow, ModuleConfigRow } from '../view/rows.js';
import { lockClient, readLegacyRow, writeLegacyModules } from './legacyRepository.js';
import { nearestKnownClients } from './knownClients.js';
import { resolvedIds } from './legacyListEdits.js';

/** The seed's legacy server actions, same names, same table, same row shape. */
export interface LegacyApi {
  /** The client's client_app_overrides row as stored, or null. */
  getModuleOverrides(clientId: string): Promise<LegacyOverridesRow | null>;
  /** Upserts modules_enabled (as given); other columns untouched. Dual-writes migrated modules. Returns the row. */
  saveModuleOverrides(clientId: string, modulesEnabled: readonly string[]): Promise<LegacyOverridesRow>;
  /** modules_enabled := the catalog defaults; theme_overrides, consultation_config, plan_catalog_overrides := {}. Returns the row. */
  resetToDefaults(clientId: string): Promise<LegacyOverridesRow>;
}

export interface LegacyApiOptions {
  /** The catalog the host runs: resolves legacy ids for dual write and gives the defaults. */
  catalog?: () => CatalogView | undefined;
  /** The default set when there is no catalog (standalone use); ignored when a catalog is given. */
  defaultModules?: readonly string[];
}

/**
 * The legacy API over a store, or over the application's own pg.Pool (wrapped with
 * storeFromPgPool; the pool stays the caller's).
 */
export function createLegacyApi(storeOrPool: Store | pg.Pool, options: LegacyApiOptions = {}): LegacyApi {
  const store: Store = isStore(storeOrPool) ? storeOrPool : storeFromPgPool(storeOrPool);
  const catalogOf = () => options.catalog?.();

  async function saveList(clientId: string, list: readonly unknown[], where: string, clearOverrides: boolean): Promise<LegacyOverridesRow> {
    const catalog = catalogOf();
    const row = await store.transaction(async (tx) => {
      await lockClient(tx, clientId);
      let saved: LegacyOverridesRow;
      try {
        saved = await writeLegacyModules(tx, clientId, list, { clearOverrides });
      } catch (error) {
        throw clientError(error, clientId, where, store.displayUrl);
      }
      // Dual write: for migrated modules the registry row must say what the list says.
      const enabledNow = resolvedIds(list, catalog);
      const { rows } = await tx.query<ModuleConfigRow>(
        'SELECT module_id, enabled FROM hotmod_module_configs WHERE client_id = $1 AND migrated_at IS NOT NULL',
        [clientId],
      );
      for (const r of rows) {
        const want = enabledNow.has(r.module_id);
        if (r.enabled !== want) {
          await tx.query('UPDATE hotmod_module_configs SET enabled = $3, updated_at = now() WHERE client_id = $1 AND module_id = $2', [clientId, r.module_id, want]);
        }
      }
      return saved;
    }).catch((error: unknown) => withNearestClients(error, store, clientId));
    store.announce([clientId]);
    return row;
  }

  return {
    async getModuleOverrides(clientId) {
      const id = normalizeLegacyClientId(clientId, 'getModuleOverrides');
      return (await readLegacyRow(store, id)).row;
    },

    async saveModuleOverrides(clientId, modulesEnabled) {
      const id = normalizeLegacyClientId(clientId, 'saveModuleOverrides');
      if (!Array.isArray(modulesEnabled) || modulesEnabled.some((e) => typeof e !== 'string')) {
        const bad = Array.isArray(modulesEnabled) ? modulesEnabled.findIndex((e) => typeof e !== 'string') : -1;
        throw new HotmodError(
          LegacyBridgeErrorCode.LEGACY_MODULES_INVALID,
          `saveModuleOverrides(${id}): modulesEnabled must be an array of module id strings${bad >= 0 ? `; entry ${bad} is ${typeof modulesEnabled[bad]}` : `, got ${modulesEnabled === null ? 'null' : typeof modulesEnabled}`}; nothing was written`,
          { clientId: id, index: bad >= 0 ? bad : undefined },
        );
      }
      return saveList(id, modulesEnabled, 'saveModuleOverrides', false);
    },

    async resetToDefaults(clientId) {
      const id = normalizeLegacyClientId(clientId, 'resetToDefaults');
      const catalog = catalogOf();
      const defaults = catalog ? catalog.modules().filter((m) => m.defaultEnabled).map((m) => m.id) : [...(options.defaultModules ?? [])];
      return saveList(id, defaults, 'resetToDefaults', true);
    },
  };
}

/** A legacy insert for a client missing from `clients` fails on the foreign key: say so. */
export function clientError(error: unknown, clientId: string, where: string, displayUrl: string): HotmodError {
  const cause = error instanceof HotmodError ? error.cause ?? error : error;
  const sqlState = (cause as { code?: unknown })?.code;
  if (sqlState === '23503') {
    return new HotmodError(
      LegacyBridgeErrorCode.CLIENT_NOT_FOUND,
      `${where}(${clientId}): no client with this id in clients, so client_app_overrides cannot hold a row for it; create the client first`,
      { clientId },
      { cause },
    );
  }
  return error instanceof HotmodError ? error : wrapQueryError(error, where, displayUrl);
}

/** E_CLIENT_NOT_FOUND names the nearest known client ids, as E_CLIENT_UNKNOWN does (a typo is the usual cause). */
async function withNearestClients(error: unknown, store: Store, clientId: string): Promise<never> {
  if (!(error instanceof HotmodError) || error.code !== LegacyBridgeErrorCode.CLIENT_NOT_FOUND) throw error;
  const near = await nearestKnownClients(store, clientId, true).catch(() => []);
  if (near.length === 0) throw error;
  throw new HotmodError(error.code, `${error.message}; nearest known ids: ${near.join(', ')}`, { ...error.details, nearest: near }, { cause: error.cause });
}

function isStore(value: Store | pg.Pool): value is Store {
  return typeof (value as Store).announce === 'function' && typeof (value as Store).transaction === 'function';
}

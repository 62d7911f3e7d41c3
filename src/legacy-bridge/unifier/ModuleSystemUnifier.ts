import type { CatalogView, UnifiedModuleConfig } from '../../types.js';
import { HotmodError } from '../../errors.js';
import { assertModuleId, isUuid, normalizeClientId } from '../clientId.js';
import type { ViewDiagnostic } from '../diagnostics.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import { clientError } from '../legacy/legacyApi.js';
import { editFor, resolves, withModule } from '../legacy/legacyListEdits.js';
import { assertKnownClient } from '../legacy/knownClients.js';
import { editLegacyModules, loadClientState, lockClient, upsertModuleConfig, writeLegacyModules } from '../legacy/legacyRepository.js';
import { LegacyTablePresence } from '../legacy/legacyTablePresence.js';
import type { Queryable, Store } from '../store/types.js';
import { computeUnifiedView, type UnifiedClientView } from '../view/computeUnifiedView.js';
import type { ClientConfigState } from '../view/rows.js';

/** The seed's ModuleUnificationResult, each finding with a code. */
export interface ModuleUnificationResult {
  clientId: string;
  modules: UnifiedModuleConfig[];
  conflicts: ViewDiagnostic[];
  warnings: ViewDiagnostic[];
  recommendations: ViewDiagnostic[];
  /** Module ids the client may call now (implicit requirements included), sorted. */
  effective: string[];
}

/** Options of a unifier write (enableModule, disableModule, migrateToUnified). */
export interface UnifierWriteOptions {
  /**
   * The write may create the client. Without it, a client id that neither the legacy
   * tables (client_app_overrides, clients) nor hotmod_module_configs know is refused with
   * E_CLIENT_UNKNOWN (the message names the nearest known ids): a typo must not create a
   * new, empty registry-only client.
   */
  createClient?: boolean;
}

export interface ModuleSystemUnifierOptions {
  /** The catalog the host runs now. */
  catalog: () => CatalogView;
}

interface WriteContext {
  tx: Queryable;
  clientId: string;
  moduleId: string;
  state: ClientConfigState;
  view: UnifiedClientView;
  catalog: CatalogView;
  /** The client can have a legacy row (uuid id, table present). */
  legacyWritable: boolean;
}

/**
 * One interface over both configuration systems (the seed's ModuleSystemUnifier).
 * Reads compute the unified view (computeUnifiedView); writes run in one transaction per
 * call under the client's advisory lock, and keep migrated modules in step in both tables.
 * A write for a client neither system knows is refused (E_CLIENT_UNKNOWN) unless its
 * options say `createClient: true`.
 */
export class ModuleSystemUnifier {
  readonly #store: Store;
  readonly #catalog: () => CatalogView;
  readonly #legacyTable: LegacyTablePresence;

  constructor(store: Store, options: ModuleSystemUnifierOptions) {
    this.#store = store;
    this.#catalog = options.catalog;
    this.#legacyTable = new LegacyTablePresence(store);
    // Bound, so the seed's free-function style works: `const { unifyModuleSystems } = host.unifier`.
    this.unifyModuleSystems = this.unifyModuleSystems.bind(this);
    this.getUnifiedModuleList = this.getUnifiedModuleList.bind(this);
  }

  // The seed's API-reference names (its "API Reference" and compatibility layer) for the
  // four class methods it calls by longer names: thin, bound to this instance, so
  // `const { getUnifiedModuleConfig } = host.unifier` works. The table of seed name →
  // hotmod call is docs/legacy-bridge.md "Seed names"; SEED_API (seedApi.ts) lists them.
  /** Seed name of getModuleConfig. */
  readonly getUnifiedModuleConfig = (clientId: string, moduleId: string): Promise<UnifiedModuleConfig | null> => this.getModuleConfig(clientId, moduleId);
  /** Seed name of enableModule; the third argument is the seed's "with advanced features" flag (useAdvanced). */
  readonly enableUnifiedModule = (clientId: string, moduleId: string, useAdvanced = false, options: UnifierWriteOptions = {}): Promise<boolean> =>
    this.enableModule(clientId, moduleId, useAdvanced, options);
  /** Seed name of disableModule. */
  readonly disableUnifiedModule = (clientId: string, moduleId: string, options: UnifierWriteOptions = {}): Promise<boolean> => this.disableModule(clientId, moduleId, options);
  /** Seed name of migrateToUnified. */
  readonly migrateModuleToUnified = (clientId: string, moduleId: string, options: UnifierWriteOptions = {}): Promise<boolean> => this.migrateToUnified(clientId, moduleId, options);

  /** The client's rows as stored (legacy row, registry rows): what the view is computed from (host.explain reads them). */
  async getClientState(clientId: string): Promise<ClientConfigState> {
    const id = normalizeClientId(clientId, 'unifier');
    return loadClientState(this.#store, id, { legacyTable: await this.#legacyTable.get(this.#store), legacyClient: isUuid(id) });
  }

  /** The full unified view of a client (what every read below is cut from). */
  async getClientView(clientId: string): Promise<UnifiedClientView> {
    return computeUnifiedView(await this.getClientState(clientId), this.#catalog());
  }

  async unifyModuleSystems(clientId: string): Promise<ModuleUnificationResult> {
    const view = await this.getClientView(clientId);
    return {
      clientId: view.clientId,
      modules: view.modules,
      conflicts: view.conflicts,
      warnings: view.warnings,
      recommendations: view.recommendations,
      effective: [...view.effective].sort(),
    };
  }

  /** One module as the client sees it (an id or a legacy id), or null when neither system knows it. */
  async getModuleConfig(clientId: string, moduleId: string): Promise<UnifiedModuleConfig | null> {
    if (typeof moduleId !== 'string') assertModuleId(moduleId, 'getModuleConfig');
    const view = await this.getClientView(clientId);
    const id = this.#catalog().resolveId(moduleId) ?? moduleId;
    return view.modules.find((m) => m.moduleId === id) ?? null;
  }

  async getUnifiedModuleList(clientId: string): Promise<UnifiedModuleConfig[]> {
    return (await this.getClientView(clientId)).modules;
  }

  /**
   * Enables a module for a client. Returns true when it was not enabled by configuration
   * before (false: nothing to do). useAdvanced=false writes the legacy list (when the client
   * can have one); true writes a hotmod_module_configs row. A migrated module is written to
   * both (dual write) either way.
   */
  async enableModule(clientId: string, moduleId: string, useAdvanced = false, options: UnifierWriteOptions = {}): Promise<boolean> {
    return this.#write(clientId, moduleId, 'enableModule', options, async (ctx) => {
      const row = ctx.state.registry.find((r) => r.module_id === ctx.moduleId);
      const before = ctx.view.explicit.has(ctx.moduleId);
      if (row?.migrated_at) {
        if (!row.enabled) await upsertModuleConfig(ctx.tx, { clientId: ctx.clientId, moduleId: ctx.moduleId, enabled: true });
        await mirrorIntoLegacy(ctx, true);
      } else if (before) {
        return false; // enabled by configuration already: nothing to write
      } else if (useAdvanced || !ctx.legacyWritable) {
        await upsertModuleConfig(ctx.tx, { clientId: ctx.clientId, moduleId: ctx.moduleId, enabled: true });
      } else {
        if (!namedByLegacy(ctx)) {
          const list = legacyArrayForWrite(ctx);
          if (list) await editLegacyModules(ctx.tx, ctx.clientId, editFor(list, ctx.moduleId, true, ctx.catalog));
          else {
            // No list yet (or NULL): write the set the client has now, plus this module, so
            // creating the list changes nothing else.
            const current = [...ctx.view.explicit].filter((id) => ctx.catalog.get(id) !== undefined);
            await writeLegacy(ctx, withModule(current, ctx.moduleId, ctx.catalog));
          }
        }
        // A registry row decides over the list: it must not keep the module off.
        if (row && !row.enabled) await upsertModuleConfig(ctx.tx, { clientId: ctx.clientId, moduleId: ctx.moduleId, enabled: true });
      }
      return !before;
    });
  }

  /**
   * Disables a module for a client in both systems: removes it from the legacy list (its
   * id and legacy ids; every other entry kept) and turns its registry row off. A module
   * enabled only by the catalog default gets a registry row `enabled: false`. Returns true
   * when it was enabled by configuration before. Implicitly required modules stay
   * effective while what requires them is enabled.
   */
  async disableModule(clientId: string, moduleId: string, options: UnifierWriteOptions = {}): Promise<boolean> {
    return this.#write(clientId, moduleId, 'disableModule', options, async (ctx) => {
      const row = ctx.state.registry.find((r) => r.module_id === ctx.moduleId);
      const before = ctx.view.explicit.has(ctx.moduleId);
      if (row?.migrated_at) {
        if (row.enabled) await upsertModuleConfig(ctx.tx, { clientId: ctx.clientId, moduleId: ctx.moduleId, enabled: false });
        await mirrorIntoLegacy(ctx, false);
        return before;
      }
      if (namedByLegacy(ctx)) {
        await editLegacyModules(ctx.tx, ctx.clientId, editFor(legacyArrayForWrite(ctx)!, ctx.moduleId, false, ctx.catalog));
      }
      if (row) {
        if (row.enabled) await upsertModuleConfig(ctx.tx, { clientId: ctx.clientId, moduleId: ctx.moduleId, enabled: false });
      } else if (before && !namedByLegacy(ctx)) {
        // Enabled by the catalog default: only a registry row can say "not for this client".
        await upsertModuleConfig(ctx.tx, { clientId: ctx.clientId, moduleId: ctx.moduleId, enabled: false, source: 'registry' });
      }
      return before;
    });
  }

  /**
   * Migrates one module of one client: its registry row becomes the source of truth,
   * recording the module's current configured state, and from now on every write through
   * either API keeps the legacy list in step (dual write). Returns false when it was
   * migrated already.
   */
  async migrateToUnified(clientId: string, moduleId: string, options: UnifierWriteOptions = {}): Promise<boolean> {
    return this.#write(clientId, moduleId, 'migrateToUnified', options, async (ctx) => {
      const row = ctx.state.registry.find((r) => r.module_id === ctx.moduleId);
      if (row?.migrated_at) return false;
      const want = ctx.view.explicit.has(ctx.moduleId);
      await mirrorIntoLegacy(ctx, want);
      await upsertModuleConfig(ctx.tx, { clientId: ctx.clientId, moduleId: ctx.moduleId, enabled: want, source: 'migration', migratedAt: 'now' });
      return true;
    });
  }

  /** Stops listening to the store's change bus. The store itself is not closed. */
  dispose(): void {
    this.#legacyTable.dispose();
  }

  async #write(clientId: string, moduleId: string, where: string, options: UnifierWriteOptions, fn: (ctx: WriteContext) => Promise<boolean>): Promise<boolean> {
    const id = normalizeClientId(clientId, where);
    assertModuleId(moduleId, where);
    const catalog = this.#catalog();
    const canonical = catalog.resolveId(moduleId);
    if (canonical === undefined) {
      throw new HotmodError(
        LegacyBridgeErrorCode.MODULE_UNKNOWN,
        `${where}(${id}, ${moduleId}): no module '${moduleId}' in the catalog (ids: ${catalog.modules().map((m) => m.id).join(', ') || 'none'}); check the id or add the package`,
        { clientId: id, moduleId },
      );
    }
    const legacyTable = await this.#legacyTable.get(this.#store);
    const changed = await this.#store.transaction(async (tx) => {
      await lockClient(tx, id);
      const state = await loadClientState(tx, id, { legacyTable, legacyClient: isUuid(id) });
      if (options?.createClient !== true) await assertKnownClient(tx, state, legacyTable, where);
      const view = computeUnifiedView(state, catalog);
      return fn({ tx, clientId: id, moduleId: canonical, state, view, catalog, legacyWritable: legacyTable && isUuid(id) });
    });
    this.#store.announce([id]);
    return changed;
  }
}

function namedByLegacy(ctx: WriteContext): boolean {
  const value = ctx.state.legacy?.modules_enabled;
  return Array.isArray(value) && value.some((e) => typeof e === 'string' && resolves(e, ctx.moduleId, ctx.catalog));
}

/**
 * The stored list when hotmod may edit it: an array → it; no row or NULL → undefined
 * (the caller builds one); anything else → E_LEGACY_LIST_UNREADABLE (never rewritten).
 */
function legacyArrayForWrite(ctx: WriteContext): unknown[] | undefined {
  const legacy = ctx.state.legacy;
  if (!legacy || legacy.modules_enabled === null || legacy.modules_enabled === undefined) return undefined;
  if (Array.isArray(legacy.modules_enabled)) return legacy.modules_enabled;
  const kind = typeof legacy.modules_enabled === 'string' ? 'a JSON string' : typeof legacy.modules_enabled === 'object' ? 'an object' : typeof legacy.modules_enabled;
  throw new HotmodError(
    LegacyBridgeErrorCode.LEGACY_LIST_UNREADABLE,
    `client ${ctx.clientId}: client_app_overrides.modules_enabled is ${kind}, not a JSON array, so hotmod will not edit it for module '${ctx.moduleId}' (it never rewrites bad legacy data); fix the row with saveModuleOverrides or SQL, then retry`,
    { clientId: ctx.clientId, moduleId: ctx.moduleId },
  );
}

async function writeLegacy(ctx: WriteContext, list: unknown[]): Promise<void> {
  try {
    await writeLegacyModules(ctx.tx, ctx.clientId, list);
  } catch (error) {
    throw clientError(error, ctx.clientId, 'unifier', 'store');
  }
}

/**
 * Dual write for migrated modules: make an existing legacy list say `enabled` for the
 * module, editing only its entries in SQL (every other entry stays exactly as stored).
 * No row or a NULL list: left alone (old readers fall back to defaults there).
 */
async function mirrorIntoLegacy(ctx: WriteContext, enabled: boolean): Promise<void> {
  if (!ctx.legacyWritable) return;
  const list = legacyArrayForWrite(ctx);
  if (list === undefined) return;
  await editLegacyModules(ctx.tx, ctx.clientId, editFor(list, ctx.moduleId, enabled, ctx.catalog));
}

/**
 * The seed's API reference (seed/module-system-unification-strategy.md "API Reference" and
 * "Compatibility Layer") as free functions, each bound to a part the application already
 * has (host.legacy, host.unifier, host.migrator, or the same parts of createLegacyBridge):
 *
 *   const { getModuleOverrides, getUnifiedModuleConfig, migrateModuleToUnified, getModuleMigrationProgress } = seedApi(host);
 *
 * Thin: every function is one call of the hotmod method SEED_API names (docs/legacy-bridge.md
 * "Seed names" is the same table). The unifier's and the migrator's seed names are also
 * bound own properties of every ModuleSystemUnifier and ModuleDataMigrator
 * (`const { getUnifiedModuleConfig } = host.unifier`, `const { getModuleMigrationProgress } = host.migrator`).
 */
import { HotmodError } from '../../errors.js';
import type { UnifiedModuleConfig } from '../../types.js';
import { LegacyBridgeErrorCode } from '../errors.js';
import type { LegacyApi } from '../legacy/legacyApi.js';
import type { ClientMigrationPlan, ClientMigrationProgress, ModuleDataMigrator, ModuleMigrationResult, ModuleMigrationValidation } from '../migrator/index.js';
import type { LegacyOverridesRow } from '../view/rows.js';
import type { ModuleSystemUnifier, ModuleUnificationResult, UnifierWriteOptions } from './ModuleSystemUnifier.js';

/** Seed name → hotmod call, with the seed's signature. One row per function of SeedApi. */
export const SEED_API = [
  { seed: 'getModuleOverrides(clientId)', part: 'legacy', call: 'legacy.getModuleOverrides(clientId)' },
  { seed: 'saveModuleOverrides(clientId, modulesEnabled)', part: 'legacy', call: 'legacy.saveModuleOverrides(clientId, modulesEnabled)' },
  { seed: 'resetToDefaults(clientId)', part: 'legacy', call: 'legacy.resetToDefaults(clientId)' },
  { seed: 'unifyModuleSystems(clientId)', part: 'unifier', call: 'unifier.unifyModuleSystems(clientId)' },
  { seed: 'getUnifiedModuleConfig(clientId, moduleId)', part: 'unifier', call: 'unifier.getModuleConfig(clientId, moduleId)' },
  { seed: 'enableUnifiedModule(clientId, moduleId, useAdvanced)', part: 'unifier', call: 'unifier.enableModule(clientId, moduleId, useAdvanced)' },
  { seed: 'disableUnifiedModule(clientId, moduleId)', part: 'unifier', call: 'unifier.disableModule(clientId, moduleId)' },
  { seed: 'migrateModuleToUnified(clientId, moduleId)', part: 'unifier', call: 'unifier.migrateToUnified(clientId, moduleId)' },
  { seed: 'getUnifiedModuleList(clientId)', part: 'unifier', call: 'unifier.getUnifiedModuleList(clientId)' },
  { seed: 'createModuleMigrationPlan(clientId)', part: 'migrator', call: 'migrator.createModuleMigrationPlan(clientId, { strategy })' },
  { seed: 'executeModuleMigration(clientId, plan)', part: 'migrator', call: 'migrator.executeModuleMigration(clientId, plan)' },
  { seed: 'rollbackModuleMigration(backupId)', part: 'migrator', call: 'migrator.rollbackModuleMigration(backupId)' },
  { seed: 'validateModuleMigration(clientId)', part: 'migrator', call: 'migrator.validateModuleMigration(clientId)' },
  {
    seed: 'getModuleMigrationProgress(clientId)',
    part: 'migrator',
    call: 'migrator.getModuleMigrationProgress(clientId)',
  },
] as const satisfies readonly { seed: string; part: 'legacy' | 'unifier' | 'migrator'; call: string }[];


/** The parts the seed's functions are bound to: a Host, a LegacyBridge, or any object with them. */
export interface SeedApiParts {
  readonly legacy?: LegacyApi | undefined;
  readonly unifier?: ModuleSystemUnifier | undefined;
  readonly migrator?: ModuleDataMigrator | undefined;
}

export interface SeedApi {
  getModuleOverrides(clientId: string): Promise<LegacyOverridesRow | null>;
  saveModuleOverrides(clientId: string, modulesEnabled: readonly string[]): Promise<LegacyOverridesRow>;
  resetToDefaults(clientId: string): Promise<LegacyOverridesRow>;
  unifyModuleSystems(clientId: string): Promise<ModuleUnificationResult>;
  getUnifiedModuleConfig(clientId: string, moduleId: string): Promise<UnifiedModuleConfig | null>;
  enableUnifiedModule(clientId: string, moduleId: string, useAdvanced?: boolean, options?: UnifierWriteOptions): Promise<boolean>;
  disableUnifiedModule(clientId: string, moduleId: string, options?: UnifierWriteOptions): Promise<boolean>;
  migrateModuleToUnified(clientId: string, moduleId: string, options?: UnifierWriteOptions): Promise<boolean>;
  getUnifiedModuleList(clientId: string): Promise<UnifiedModuleConfig[]>;
  createModuleMigrationPlan(clientId: string, options?: Parameters<ModuleDataMigrator['createModuleMigrationPlan']>[1]): Promise<ClientMigrationPlan>;
  executeModuleMigration(clientId: string, plan: ClientMigrationPlan): Promise<ModuleMigrationResult>;
  rollbackModuleMigration(backupId: string): ReturnType<ModuleDataMigrator['rollbackModuleMigration']>;
  validateModuleMigration(clientId: string): Promise<ModuleMigrationValidation>;
  getModuleMigrationProgress(clientId: string): Promise<ClientMigrationProgress>;
}

/**
 * The seed's functions bound to `parts`. Parts are read at each call, so `seedApi(host)`
 * may be taken before `host.start()`; a call whose part is absent (not started, or store
 * 'none') rejects with E_BRIDGE_UNAVAILABLE. After `host.stop()` the calls reach a closed
 * store (E_STORE_CLOSED).
 */
export function seedApi(parts: SeedApiParts): SeedApi {
  const part = <K extends keyof SeedApiParts>(key: K, fn: string): NonNullable<SeedApiParts[K]> => {
    const value = parts[key];
    if (value) return value as NonNullable<SeedApiParts[K]>;
    throw new HotmodError(
      LegacyBridgeErrorCode.BRIDGE_UNAVAILABLE,
      `${fn}: there is no ${key} (the host is not started, or runs with store 'none'); await host.start() with a store first`,
      { part: key, call: fn },
    );
  };
  const legacy = (fn: string) => part('legacy', fn);
  const unifier = (fn: string) => part('unifier', fn);
  const migrator = (fn: string) => part('migrator', fn);
  return Object.freeze({
    getModuleOverrides: async (clientId) => legacy('getModuleOverrides').getModuleOverrides(clientId),
    saveModuleOverrides: async (clientId, modulesEnabled) => legacy('saveModuleOverrides').saveModuleOverrides(clientId, modulesEnabled),
    resetToDefaults: async (clientId) => legacy('resetToDefaults').resetToDefaults(clientId),
    unifyModuleSystems: async (clientId) => unifier('unifyModuleSystems').unifyModuleSystems(clientId),
    getUnifiedModuleConfig: async (clientId, moduleId) => unifier('getUnifiedModuleConfig').getModuleConfig(clientId, moduleId),
    enableUnifiedModule: async (clientId, moduleId, useAdvanced, options) => unifier('enableUnifiedModule').enableModule(clientId, moduleId, useAdvanced, options),
    disableUnifiedModule: async (clientId, moduleId, options) => unifier('disableUnifiedModule').disableModule(clientId, moduleId, options),
    migrateModuleToUnified: async (clientId, moduleId, options) => unifier('migrateModuleToUnified').migrateToUnified(clientId, moduleId, options),
    getUnifiedModuleList: async (clientId) => unifier('getUnifiedModuleList').getUnifiedModuleList(clientId),
    createModuleMigrationPlan: async (clientId, options) => migrator('createModuleMigrationPlan').createModuleMigrationPlan(clientId, options),
    executeModuleMigration: async (clientId, plan) => migrator('executeModuleMigration').executeModuleMigration(clientId, plan),
    rollbackModuleMigration: async (backupId) => migrator('rollbackModuleMigration').rollbackModuleMigration(backupId),
    validateModuleMigration: async (clientId) => migrator('validateModuleMigration').validateModuleMigration(clientId),
    getModuleMigrationProgress: async (clientId) => migrator('getModuleMigrationProgress').getModuleMigrationProgress(clientId),
  } satisfies SeedApi);
}

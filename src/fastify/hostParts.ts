/**
 * The parts of a host's `legacy` and `unifier` that the routes call. The Host types them
 * loosely (they come from the legacy bridge, built when the host starts); a route checks
 * they are there and answers E_HOST_NOT_READY with the reason when they are not.
 */
export interface LegacyOverridesApi {
  /** The row in its legacy shape, or null. */
  getModuleOverrides(clientId: string): Promise<unknown>;
  /** Upserts modules_enabled; returns the row. */
  saveModuleOverrides(clientId: string, modulesEnabled: string[]): Promise<unknown>;
  /** The default module set, overrides cleared; returns the row. */
  resetToDefaults(clientId: string): Promise<unknown>;
}

export interface EnablementApi {
  /** true when the module was not enabled by configuration before. */
  enableModule(clientId: string, moduleId: string, useAdvanced?: boolean): Promise<boolean>;
  /** true when the module was enabled by configuration before. */
  disableModule(clientId: string, moduleId: string): Promise<boolean>;
}

function hasMethods(value: unknown, names: readonly string[]): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}

export function asLegacyOverridesApi(value: unknown): LegacyOverridesApi | undefined {
  return hasMethods(value, ['getModuleOverrides', 'saveModuleOverrides', 'resetToDefaults'])
    ? (value as LegacyOverridesApi)
    : undefined;
}

export function asEnablementApi(value: unknown): EnablementApi | undefined {
  return hasMethods(value, ['enableModule', 'disableModule']) ? (value as EnablementApi) : undefined;
}

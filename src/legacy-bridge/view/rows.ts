/** Rows as the store returns them (pg and PGlite parse jsonb, timestamptz and uuid alike). */

/** A client_app_overrides row in its legacy shape. Extra columns of an existing table are kept. */
export interface LegacyOverridesRow {
  id: string;
  client_id: string;
  modules_enabled: unknown;
  theme_overrides: unknown;
  consultation_config: unknown;
  plan_catalog_overrides: unknown;
  created_at: Date | null;
  updated_at: Date | null;
  [column: string]: unknown;
}

/** A hotmod_module_configs row. */
export interface ModuleConfigRow {
  client_id: string;
  module_id: string;
  enabled: boolean;
  custom_settings: unknown;
  /** How the row came to be: 'registry' (unifier / advanced API) or 'migration' (migrated from legacy). */
  source: string;
  /** Set once the module is migrated for the client: the row is then the source of truth and dual write applies. */
  migrated_at: Date | null;
  updated_at: Date | null;
}

/** What the unified view is computed from, for one client. */
export interface ClientConfigState {
  clientId: string;
  /** The newest legacy row, or null. */
  legacy: LegacyOverridesRow | null;
  /** How many legacy rows the client has (more than one only in tables without UNIQUE(client_id)). */
  legacyRowCount?: number;
  registry: readonly ModuleConfigRow[];
}

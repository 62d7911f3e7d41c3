/**
 * The per-client seam's built-in sources: an everything-enabled default (tests, demos,
 * a host with no configuration) and a file source (`hotmod.config.json`, docs/runtime.md).
 * The legacy bridge plugs its own ConfigSource into the same CONFIG_SOURCE token.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { HotmodError } from '../errors.js';
import type { CatalogView, ConfigSource, UnifiedModuleConfig } from '../types.js';
import { clientClosure, clientModuleSetOf, type ModuleManifest } from '../registry/index.js';
import { RuntimeErrorCode } from './errors.js';
import type { ModuleConfigProvider } from './types.js';

function registryEntry(m: ModuleManifest, enabled: boolean, customSettings: object, implicit?: boolean): UnifiedModuleConfig {
  return {
    moduleId: m.id,
    enabled,
    ...(implicit ? { implicit: true } : {}),
    advancedConfig: {
      registryEntry: { id: m.id, version: m.version, provides: m.provides },
      capabilities: Object.keys(m.provides),
      dependencies: [...Object.keys(m.requires), ...Object.keys(m.dependsOn)],
      customSettings,
    },
    source: 'registry',
  };
}

/** Every module in the catalog enabled for every client: the default with no store and no config. */
export function createAllEnabledConfigSource(): ConfigSource {
  const clientModules: ConfigSource['clientModules'] = async (_clientId, catalog) => catalog.modules().map((m) => registryEntry(m, true, {}));
  return {
    name: 'all-enabled',
    clientModules,
    clientModuleSet: async (clientId, catalog) => clientModuleSetOf(clientId, new Set(catalog.modules().map((m) => m.id)), await clientModules(clientId, catalog)),
    onChange: () => () => {},
  };
}

/**
 * The shape of hotmod.config.json:
 * { "modules": { "<id>": { "config": <JSON> } },
 *   "clients": { "<clientId>": { "modules": ["<id>", …], "settings": { "<id>": { … } } } },
 *   "defaultModules": ["<id>", …] | "all" | "defaults" }
 */
export interface HotmodConfigFile {
  modules?: Record<string, { config?: unknown }>;
  clients?: Record<string, { modules: string[]; settings?: Record<string, Record<string, unknown>> }>;
  /** What a client not listed under `clients` gets. Default "defaults" (the manifests' defaultEnabled). */
  defaultModules?: string[] | 'all' | 'defaults';
}

export function parseConfigFile(text: string, file: string): HotmodConfigFile {
  const bad = (reason: string, cause?: unknown): never => {
    throw new HotmodError(
      RuntimeErrorCode.CONFIG_INVALID,
      `config file ${file} could not be loaded: ${reason}; fix it as docs/runtime.md "hotmod.config.json" shows`,
      { file, reason },
      cause === undefined ? undefined : { cause },
    );
  };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    bad(`invalid JSON (${(error as Error).message})`, error);
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(raw)) return bad('the top level must be an object');
  const { modules, clients, defaultModules } = raw;
  if (modules !== undefined) {
    if (!isObj(modules)) bad('"modules" must be an object of module id -> { "config": … }');
    for (const [id, m] of Object.entries(modules as object)) if (!isObj(m)) bad(`"modules.${id}" must be an object`);
  }
  if (clients !== undefined) {
    if (!isObj(clients)) bad('"clients" must be an object of client id -> { "modules": [...] }');
    for (const [id, c] of Object.entries(clients as object)) {
      if (!isObj(c) || !Array.isArray(c.modules) || !c.modules.every((x) => typeof x === 'string'))
        bad(`"clients.${id}.modules" must be an array of module ids`);
      if ((c as Record<string, unknown>).settings !== undefined && !isObj((c as Record<string, unknown>).settings))
        bad(`"clients.${id}.settings" must be an object of module id -> settings`);
    }
  }
  if (
    defaultModules !== undefined &&
    defaultModules !== 'all' &&
    defaultModules !== 'defaults' &&
    !(Array.isArray(defaultModules) && defaultModules.every((x) => typeof x === 'string'))
  )
    bad('"defaultModules" must be "all", "defaults" or an array of module ids');
  return raw as HotmodConfigFile;
}

export interface FileConfigSource extends ConfigSource, ModuleConfigProvider {
  readonly file: string;
}

/** Reads hotmod.config.json now, and again whenever it changes (then reports 'all' changed). */
export function createFileConfigSource(file: string, options: { watch?: boolean } = {}): FileConfigSource {
  let config = parseConfigFile(readFileSync(file, 'utf8'), file);
  const listeners = new Set<(clients: readonly string[] | 'all') => void>();
  let watcher: FSWatcher | undefined;
  if (options.watch) {
    watcher = watch(file, { persistent: false }, () => {
      try {
        config = parseConfigFile(readFileSync(file, 'utf8'), file);
      } catch {
        return; // a half-written or broken file: keep serving the last good configuration
      }
      for (const l of listeners) l('all');
    });
  }
  /** The client's modules: listed (or the defaults) plus their requirement closure (the routing table's providers). */
  const answer = (clientId: string, catalog: CatalogView): { configs: UnifiedModuleConfig[]; effective: ReadonlySet<string> } => {
    const entry = config.clients?.[clientId];
    let ids: Set<string>;
    if (entry) ids = new Set(entry.modules.map((x) => catalog.resolveId(x) ?? x));
    else if (config.defaultModules === 'all') ids = new Set(catalog.modules().map((m) => m.id));
    else if (Array.isArray(config.defaultModules)) ids = new Set(config.defaultModules);
    else ids = new Set(catalog.modules().filter((m) => m.defaultEnabled).map((m) => m.id));
    const { effective } = clientClosure(catalog, ids);
    const configs: UnifiedModuleConfig[] = [];
    for (const m of catalog.modules()) {
      const on = effective.has(m.id);
      configs.push(registryEntry(m, on, entry?.settings?.[m.id] ?? {}, on && !ids.has(m.id)));
    }
    for (const id of ids) {
      if (catalog.get(id)) continue;
      configs.push({
        moduleId: id,
        enabled: true,
        source: 'registry',
        warnings: [{ code: 'E_NO_PROVIDER', message: `module '${id}' is listed for client '${clientId}' in ${file} but is not in the catalog` }],
      });
    }
    return { configs, effective };
  };
  return {
    name: 'file',
    file,
    get: (moduleId) => config.modules?.[moduleId]?.config,
    clientModules: async (clientId, catalog) => answer(clientId, catalog).configs,
    async clientModuleSet(clientId, catalog) {
      const { configs, effective } = answer(clientId, catalog);
      return clientModuleSetOf(clientId, effective, configs);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      watcher?.close();
      listeners.clear();
    },
  };
}

/** No module-level config at all. */
export const emptyModuleConfig: ModuleConfigProvider = { get: () => undefined };

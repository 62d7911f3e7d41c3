import path from 'node:path';
import { DEFAULT_STORE_URL, loadCatalogView, ModuleSystemUnifier, openStore, type ModuleUnificationResult, type Store, type ViewDiagnostic } from '../../legacy-bridge/index.js';
import type { CatalogView } from '../../types.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { printJson, table, type CliIO } from '../io.js';
import type { Command } from '../command.js';
import { runWhy } from './clientsWhy.js';

const USAGE = `hotmod clients show <client-id> [--modules DIR] [--store URL] [--json]
hotmod clients enable <client-id> <module> [<module>…] [--advanced] [--create] [--modules DIR] [--store URL] [--json]
hotmod clients disable <client-id> <module> [<module>…] [--create] [--modules DIR] [--store URL] [--json]
hotmod clients why <client-id> <module> [--modules DIR] [--store URL] [--url URL] [--json]

  show      the client's unified view: every module with enabled, source, implicit and
            warnings, then conflicts and recommendations
  enable    enables modules for the client; without --advanced through the legacy list
            (client_app_overrides.modules_enabled), with --advanced as hotmod_module_configs
            rows; migrated modules are written to both
  disable   disables modules in both systems
  why       why the module serves the client or not, and which version: the chain of
            facts (legacy entry, registry row, catalog default, implicit pull, provider,
            lifecycle), ending with the one action that would enable it; --url asks a
            running server (its routes' URL) and adds the lifecycle and last failure
  --create  the write may create the client: without it, an id that neither
            client_app_overrides / clients nor hotmod_module_configs know is refused
            (E_CLIENT_UNKNOWN, with the nearest known ids)
  --modules default ./modules   --store default ${DEFAULT_STORE_URL}`;

async function open(args: ReturnType<typeof parseArgs>): Promise<{ store: Store; catalog: CatalogView; unifier: ModuleSystemUnifier; modulesDir: string }> {
  const modulesDir = stringFlag(args, 'modules') ?? 'modules';
  const { catalog } = await loadCatalogView(modulesDir);
  const store = await openStore(stringFlag(args, 'store') ?? DEFAULT_STORE_URL);
  return { store, catalog, unifier: new ModuleSystemUnifier(store, { catalog: () => catalog }), modulesDir };
}

/** Ids as people can read them: quoted when they hold spaces or unusual characters, shortened when long. */
function showId(id: string): string {
  const shown = /^[\x21-\x7e]+$/.test(id) ? id : JSON.stringify(id);
  return shown.length > 40 ? `${shown.slice(0, 37)}...` : shown;
}

function findings(title: string, list: readonly ViewDiagnostic[]): string[] {
  if (list.length === 0) return [];
  return ['', `${title}:`, ...list.map((d) => `  ${d.code}${d.moduleId !== undefined ? ` [${showId(d.moduleId)}]` : ''} ${d.message}`)];
}

export function renderClient(result: ModuleUnificationResult, where: string): string {
  const rows = result.modules.map((m) => [
    showId(m.moduleId),
    m.enabled ? 'yes' : 'no',
    m.source,
    m.implicit ? 'yes' : '',
    result.effective.includes(m.moduleId) ? 'yes' : 'no',
    (m.warnings ?? []).map((w) => w.code).join(', '),
  ]);
  return [
    `client ${result.clientId} (${where})`,
    '',
    table(['MODULE', 'ENABLED', 'SOURCE', 'IMPLICIT', 'RUNNABLE', 'WARNINGS'], rows),
    '',
    `effective: ${result.effective.join(', ') || '(none)'}`,
    ...findings('warnings', result.warnings),
    ...findings('conflicts', result.conflicts),
    ...findings('recommendations', result.recommendations),
  ].join('\n');
}

export const command: Command = {
  summary: "Show or change a client's modules (the unified view over client_app_overrides and hotmod_module_configs)",
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { values: ['modules', 'store', 'url'], booleans: ['advanced', 'create'] });
    const [sub, clientId, ...modules] = args.positionals;
    if (sub !== 'show' && sub !== 'enable' && sub !== 'disable' && sub !== 'why') {
      throw new UsageError(sub === undefined ? 'missing subcommand (show, enable, disable, why)' : `unknown subcommand '${sub}' (show, enable, disable, why)`);
    }
    if (clientId === undefined) throw new UsageError('missing <client-id>');
    if (sub !== 'why' && args.flags.url !== undefined) throw new UsageError('--url is for why');
    if (sub === 'why') {
      if (modules.length !== 1) throw new UsageError(modules.length === 0 ? 'missing <module>' : `unexpected argument '${modules[1]}'`);
      if (args.flags.advanced || args.flags.create) throw new UsageError('--advanced and --create are for enable and disable');
      return runWhy(args, clientId, modules[0]!, io);
    }
    if (sub === 'show' && modules.length > 0) throw new UsageError(`unexpected argument '${modules[0]}'`);
    if (sub !== 'show' && modules.length === 0) throw new UsageError('missing <module>');
    if (sub !== 'enable' && args.flags.advanced) throw new UsageError('--advanced is for enable');
    if (sub === 'show' && args.flags.create) throw new UsageError('--create is for enable and disable');
    const write = { createClient: args.flags.create === true };

    const { store, catalog, unifier, modulesDir } = await open(args);
    try {
      const where = `store ${store.displayUrl}, ${catalog.modules().length} modules in ${path.relative(process.cwd(), path.resolve(modulesDir)) || '.'}`;
      const changes: { module: string; changed: boolean }[] = [];
      for (const moduleId of modules) {
        const changed = sub === 'enable' ? await unifier.enableModule(clientId, moduleId, args.flags.advanced === true, write) : await unifier.disableModule(clientId, moduleId, write);
        changes.push({ module: moduleId, changed });
      }
      const result = await unifier.unifyModuleSystems(clientId);
      if (args.flags.json) {
        printJson(io, sub === 'show' ? result : { action: sub, changes, ...result });
        return 0;
      }
      const lines: string[] = [];
      for (const c of changes) {
        const verb = sub === 'enable' ? 'enabled' : 'disabled';
        lines.push(c.changed ? `${verb} ${c.module}${sub === 'enable' ? (args.flags.advanced ? ' (hotmod_module_configs)' : ' (legacy list, or both when migrated)') : ''}` : `${c.module}: already ${verb}, nothing written`);
      }
      if (lines.length > 0) lines.push('');
      lines.push(renderClient(result, where));
      io.out(lines.join('\n'));
      return 0;
    } finally {
      unifier.dispose();
      await store.close();
    }
  },
};

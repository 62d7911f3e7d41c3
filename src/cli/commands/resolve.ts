import path from 'node:path';
import { HotmodError } from '../../errors.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { catalogViewOfScan, DEFAULT_STORE_URL, ModuleSystemUnifier, openStore } from '../../legacy-bridge/index.js';
import { printJson, errorJson, type CliIO } from '../io.js';
import type { Command } from '../command.js';
import { resolvePlan, scanCatalog, type CatalogScan } from '../../registry/index.js';
import type { CatalogView } from '../../types.js';
import { HOTMOD_VERSION } from '../../version.js';

export const command: Command = {
  summary: 'Resolve modules (default: all) into an activation plan, or explain why it cannot be done',
  usage:
    'hotmod resolve [ids...] [--modules DIR] [--json]   (DIR defaults to ./modules)\n' +
    "hotmod resolve --client ID [--store URL] [--modules DIR] [--json]   (the plan of the modules effective for one client)",
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { values: ['modules', 'client', 'store'] });
    const modulesDir = stringFlag(args, 'modules') ?? 'modules';
    const clientId = stringFlag(args, 'client');
    if (clientId !== undefined && args.positionals.length > 0) throw new UsageError('give module ids or --client ID, not both');
    if (clientId === undefined && stringFlag(args, 'store') !== undefined) throw new UsageError('--store only goes with --client ID');
    const scan = await scanCatalog(modulesDir);
    // --client: the request is what the unified view makes effective for that client.
    const forClient = clientId === undefined ? undefined : await effectiveFor(clientId, stringFlag(args, 'store'), scan);
    const client = forClient?.client;
    const refused = new Set(scan.diagnostics.filter((d) => d.severity === 'error').map((d) => path.relative(process.cwd(), d.dir) || d.dir));
    const note =
      refused.size > 0
        ? `note: ${refused.size} package${refused.size === 1 ? ' was' : 's were'} left out because of manifest errors (${[...refused].sort().join(', ')}); run hotmod check ${modulesDir}`
        : undefined;
    const request = client !== undefined ? client.effective : args.positionals.length > 0 ? args.positionals : undefined;
    let plan;
    try {
      // A client's plan holds its effective modules only: an optional provider it has not
      // enabled shows as an unbound optional requirement (calls to it get E_NOT_ENABLED).
      // And of the versions the host runs (the catalog's), so its bindings are the routing table's.
      const packages = forClient ? scan.packages.filter((p) => forClient.catalog.get(p.manifest.id) === p.manifest) : scan.packages;
      plan = resolvePlan(packages, { ...(request ? { request } : {}), hostVersion: HOTMOD_VERSION, mode: 'strict', ...(client ? { pullOptionalProviders: false } : {}) });
    } catch (error) {
      if (!(error instanceof HotmodError)) throw error;
      if (args.flags.json) {
        printJson(io, { ...(errorJson(error) as object), refused: [...refused].sort() });
        return 1;
      }
      const chain = Array.isArray(error.details.chain) ? (error.details.chain as string[]) : [];
      const unresolved = error.details.unresolved as { id: string; code: string; message: string; chain: string[] }[] | undefined;
      const lines: string[] = [];
      if (unresolved) {
        // One section per module: the combined message would repeat every chain.
        lines.push(`error ${error.code}: cannot resolve ${unresolved.length} modules: ${unresolved.map((u) => u.id).join(', ')}`);
        for (const u of unresolved) {
          lines.push('', `${u.id} (${u.code}):`, ...u.chain.map((c) => `  - ${c}`));
          const fix = /; to fix: (.*)$/.exec(u.message)?.[1];
          if (fix) lines.push(`  fix: ${fix}`);
        }
      } else {
        lines.push(`error ${error.code}: ${error.message}`);
      }
      if (!unresolved && chain.length > 0) {
        lines.push('', 'why:', ...chain.map((c) => `  - ${c}`));
      }
      if (note) lines.push('', note);
      io.err(lines.join('\n'));
      return 1;
    }
    if (args.flags.json) {
      printJson(io, {
        hostVersion: HOTMOD_VERSION,
        ...(client !== undefined ? { client } : {}),
        levels: plan.levels,
        modules: plan.modules.map((m) => ({
          id: m.id,
          version: m.version,
          dir: m.pkg.dir,
          bindings: m.bindings,
          optionalBindings: m.optionalBindings,
          dependsOn: m.dependsOn,
          dependents: m.dependents,
        })),
        refused: [...refused].sort(),
      });
      return 0;
    }
    const version = new Map(plan.modules.map((m) => [m.id, m.version]));
    const lines = client === undefined ? [] : [`client ${client.clientId}: effective modules ${client.effective.join(', ') || '(none)'} (store ${client.store})`];
    lines.push(`plan: ${plan.modules.length} module${plan.modules.length === 1 ? '' : 's'} in ${plan.levels.length} level${plan.levels.length === 1 ? '' : 's'} (hotmod ${HOTMOD_VERSION})`);
    plan.levels.forEach((level, i) => lines.push(`  level ${i + 1}: ${level.map((id) => `${id} ${version.get(id)}`).join(', ')}`));
    const wiring = plan.modules.filter((m) => Object.keys(m.bindings).length + Object.keys(m.optionalBindings).length + m.dependsOn.length > 0);
    if (wiring.length > 0) {
      lines.push('', 'wiring:');
      for (const m of wiring) {
        const parts = [
          ...m.dependsOn.map((d) => `depends on ${d} ${version.get(d)}`),
          ...Object.entries(m.bindings).map(([cap, p]) => `${cap} -> ${p}`),
          ...Object.entries(m.optionalBindings).map(([cap, p]) => `${cap} -> ${p ?? '(none)'} (optional)`),
        ];
        lines.push(`  ${m.id}: ${parts.join(', ')}`);
      }
    }
    io.out(lines.join('\n'));
    if (note) io.err(note);
    return 0;
  },
};

/**
 * The client's effective module ids from the unified view over its store (legacy list +
 * registry rows): the registry's clientClosure over the catalog's routing table, as the
 * host's router and client.modules() see it.
 */
async function effectiveFor(
  clientId: string,
  storeUrl: string | undefined,
  scan: CatalogScan,
): Promise<{ client: { clientId: string; store: string; effective: string[] }; catalog: CatalogView }> {
  const { catalog } = catalogViewOfScan(scan);
  const store = await openStore(storeUrl ?? DEFAULT_STORE_URL);
  const unifier = new ModuleSystemUnifier(store, { catalog: () => catalog });
  try {
    const result = await unifier.unifyModuleSystems(clientId);
    return { client: { clientId: result.clientId, store: store.displayUrl, effective: [...result.effective].sort() }, catalog };
  } finally {
    unifier.dispose();
    await store.close();
  }
}

import path from 'node:path';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { printJson, table, type CliIO } from '../io.js';
import type { Command } from '../command.js';
import { formatDiagnostic, scanCatalog, type ModulePackage } from '../../registry/index.js';

function entries(map: Readonly<Record<string, string>>, suffix = ''): string[] {
  return Object.entries(map).map(([k, v]) => `${k} ${v}${suffix}`);
}

export function describePackage(p: ModulePackage) {
  const m = p.manifest;
  return {
    key: p.key,
    id: m.id,
    version: m.version,
    dir: p.dir,
    activation: m.activation,
    defaultEnabled: m.defaultEnabled,
    provides: m.provides,
    requires: m.requires,
    optionalRequires: m.optionalRequires,
    dependsOn: m.dependsOn,
    legacyIds: m.legacyIds,
    engines: m.engines,
  };
}

export const command: Command = {
  summary: 'List the module packages in the modules directory (every version), and the problems of bad ones',
  usage: 'hotmod ls [--modules DIR] [--json]   (DIR defaults to ./modules)',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { values: ['modules'] });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const modulesDir = stringFlag(args, 'modules') ?? 'modules';
    const scan = await scanCatalog(modulesDir);
    if (args.flags.json) {
      printJson(io, { modulesDir: path.resolve(modulesDir), packages: scan.packages.map(describePackage), diagnostics: scan.diagnostics });
      return 0;
    }
    const rows = scan.packages.map((p) => {
      const m = p.manifest;
      const needs = [...entries(m.dependsOn).map((e) => `module ${e}`), ...entries(m.requires), ...entries(m.optionalRequires, ' (optional)')];
      return [m.id, m.version, m.activation, m.defaultEnabled ? 'yes' : 'no', entries(m.provides).join(', ') || '-', needs.join(', ') || '-'];
    });
    const out = [`${scan.packages.length} module package${scan.packages.length === 1 ? '' : 's'} in ${path.relative(process.cwd(), path.resolve(modulesDir)) || '.'}`];
    if (rows.length > 0) out.push('', table(['ID', 'VERSION', 'ACTIVATION', 'DEFAULT', 'PROVIDES', 'REQUIRES'], rows));
    io.out(out.join('\n'));
    if (scan.diagnostics.length > 0) {
      const refused = new Set(scan.diagnostics.filter((d) => d.severity === 'error').map((d) => d.dir)).size;
      io.err(
        [
          '',
          `${scan.diagnostics.length} problem${scan.diagnostics.length === 1 ? '' : 's'}${refused ? ` (${refused} package${refused === 1 ? '' : 's'} refused)` : ''}:`,
          ...scan.diagnostics.map((d) => formatDiagnostic(d)),
        ].join('\n'),
      );
    }
    return 0;
  },
};

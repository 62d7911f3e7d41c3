import path from 'node:path';
import { parseArgs, UsageError } from '../args.js';
import { printJson, type CliIO } from '../io.js';
import type { Command } from '../command.js';
import { pathExists } from '../../shared/fs.js';
import { formatDiagnostic, loadModulePackage, scanCatalog, type ManifestDiagnostic, type ModulePackage } from '../../registry/index.js';

export const command: Command = {
  summary: 'Validate one module package, or every package in a modules directory',
  usage: 'hotmod check <dir> [--json]   (<dir>: a package folder with package.json, or a modules directory)',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv);
    const [dir, ...extra] = args.positionals;
    if (dir === undefined) throw new UsageError('missing the directory to check');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);

    // A folder with a package.json (or the dist/ or src/ of a package that lost it) is one
    // package; anything else is a modules directory.
    const single =
      (await pathExists(path.join(dir, 'package.json'))) || (await pathExists(path.join(dir, 'dist'))) || (await pathExists(path.join(dir, 'src')));
    let packages: readonly ModulePackage[];
    let diagnostics: readonly ManifestDiagnostic[];
    if (single) {
      const loaded = await loadModulePackage(dir);
      packages = loaded.pkg ? [loaded.pkg] : [];
      diagnostics = loaded.diagnostics;
    } else {
      ({ packages, diagnostics } = await scanCatalog(dir));
    }
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const warnings = diagnostics.length - errors.length;
    const badDirs = new Set(errors.map((d) => d.dir));

    if (args.flags.json) {
      printJson(io, {
        ok: errors.length === 0,
        target: path.resolve(dir),
        kind: single ? 'package' : 'modules-dir',
        packages: packages.map((p) => ({ key: p.key, id: p.manifest.id, version: p.manifest.version, dir: p.dir })),
        diagnostics,
      });
      return errors.length === 0 ? 0 : 1;
    }
    const lines: string[] = [];
    for (const p of packages) lines.push(`ok    ${p.key.padEnd(28)} ${path.relative(process.cwd(), p.dir) || '.'}`);
    for (const d of diagnostics) lines.push(formatDiagnostic(d));
    const checked = packages.length + [...badDirs].filter((d) => !packages.some((p) => p.dir === d)).length;
    lines.push(
      '',
      `${checked} package${checked === 1 ? '' : 's'} checked: ${packages.length} ok, ${badDirs.size} refused, ${errors.length} error${errors.length === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}`,
    );
    if (errors.length > 0) io.err(lines.join('\n'));
    else io.out(lines.join('\n'));
    return errors.length === 0 ? 0 : 1;
  },
};

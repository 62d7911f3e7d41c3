import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { HotmodError } from '../../errors.js';
import { bundleModule, findSourceEntry, formatProblem, RuntimeErrorCode, type BuildProblem, type BundleResult } from '../../runtime/index.js';
import { parseArgs, UsageError } from '../args.js';
import { errorJson, formatBytes, printJson, type CliIO } from '../io.js';
import type { Command } from '../command.js';
import { isDirectory, isFile } from '../../shared/fs.js';

interface BuildReport {
  ok: boolean;
  built: (Omit<BundleResult, 'warnings'> & { warnings: string[] })[];
  skipped: { dir: string; reason: string }[];
  failed: { dir: string; error: unknown }[];
}

export const command: Command = {
  summary: "Bundle a module's src/ into its dist/ with esbuild (one package, or every package in a modules directory)",
  usage: 'hotmod build <dir> [--sourcemap | --no-sourcemap] [--json]   (<dir>: a module folder, or a modules directory; the source map goes to .hotmod/, --sourcemap inlines it)',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { booleans: ['sourcemap', 'no-sourcemap'] });
    const [target, ...extra] = args.positionals;
    if (target === undefined) throw new UsageError('missing the module folder (or modules directory) to build');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    // A map file by default: module errors then show the author's src/ file and line (src/sandbox/sourceMaps.ts).
    const sourcemap = args.flags['no-sourcemap'] === true ? false : args.flags.sourcemap === true ? 'inline' : 'file';
    const root = path.resolve(target);

    const report: BuildReport = { ok: true, built: [], skipped: [], failed: [] };
    const packages = await packagesAt(root);
    for (const dir of packages.dirs) {
      if (packages.single === false && (await findSourceEntry(dir)) === undefined) {
        report.skipped.push({ dir, reason: 'no src/index.ts or src/index.js (dist/ is written by hand)' });
        continue;
      }
      try {
        report.built.push(await bundleModule(dir, { sourcemap }));
      } catch (error) {
        report.ok = false;
        report.failed.push({ dir, error });
      }
    }

    if (args.flags.json) {
      printJson(io, { ...report, failed: report.failed.map((f) => ({ dir: f.dir, ...(errorJson(f.error) as object) })) });
      return report.ok ? 0 : 1;
    }
    const shown = (file: string) => path.relative(process.cwd(), file) || '.';
    for (const built of report.built) {
      const note = built.unchanged ? ' (unchanged)' : '';
      io.out(`built ${shown(built.outfile)}  ${formatBytes(built.bytes)}  ${built.ms} ms${note}`);
      for (const warning of built.warnings) io.out(`  warning: ${warning}`);
    }
    for (const skipped of report.skipped) io.out(`skipped ${shown(skipped.dir)}: ${skipped.reason}`);
    for (const failed of report.failed) io.err(formatBuildFailure(failed.error));
    if (report.built.length + report.failed.length === 0) io.out(`nothing to build in ${shown(root)}`);
    return report.ok ? 0 : 1;
  },
};

/** A module folder (has package.json or src/), else every such child folder of a modules directory. */
async function packagesAt(root: string): Promise<{ single: boolean; dirs: string[] }> {
  if (!(await isDirectory(root))) {
    throw new HotmodError(RuntimeErrorCode.BUILD_NO_ENTRY, `cannot build '${root}': it is not a directory; pass a module folder or a modules directory`, {
      dir: root,
    });
  }
  if ((await isFile(path.join(root, 'package.json'))) || (await findSourceEntry(root)) !== undefined) return { single: true, dirs: [root] };
  const dirs: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.') || entry.name === 'node_modules') continue;
    const dir = path.join(root, entry.name);
    if (await isFile(path.join(dir, 'package.json'))) dirs.push(dir);
  }
  if (dirs.length === 0) {
    throw new HotmodError(
      RuntimeErrorCode.BUILD_NO_ENTRY,
      `cannot build '${root}': it is neither a module package (no package.json, no src/index.ts) nor a modules directory with package folders; pass a module folder`,
      { dir: root },
    );
  }
  return { single: false, dirs: dirs.sort() };
}

/** The error line, then each problem with its source line and a caret under the column. */
export function formatBuildFailure(error: unknown): string {
  if (!(error instanceof HotmodError)) return `error: ${error instanceof Error ? error.message : String(error)}`;
  const lines = [`error ${error.code}: ${error.message}`];
  const problems = (error.details.errors ?? []) as BuildProblem[];
  for (const problem of problems) {
    if (problem.file === undefined) continue;
    lines.push(`  ${formatProblem(problem)}`);
    if (problem.lineText !== undefined) {
      lines.push(`    ${problem.lineText}`);
      lines.push(`    ${' '.repeat(Math.max(0, (problem.column ?? 1) - 1))}^`);
    }
  }
  return lines.join('\n');
}


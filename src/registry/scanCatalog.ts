import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import semver from 'semver';
import { HotmodError } from '../errors.js';
import { sortDiagnostics } from './diagnostics.js';
import { CatalogErrorCode } from './errors.js';
import { readModulePackage, type LoadedPackage } from './loadModulePackage.js';
import type { CatalogScan, ManifestDiagnostic, ModulePackage } from './types.js';

/** Packages read between two turns of the event loop (about a millisecond's work). */
const SLICE = 64;

/** By id ascending, then version descending: the catalog's one order. */
export function comparePackages(a: ModulePackage, b: ModulePackage): number {
  const ia = a.manifest.id;
  const ib = b.manifest.id;
  if (ia !== ib) return ia < ib ? -1 : 1;
  return semver.rcompare(a.manifest.version, b.manifest.version);
}

/**
 * Scans every folder directly inside `modulesDir` (dot-folders and node_modules are
 * skipped). One bad package never stops the others: its problems become diagnostics.
 * Two folders with the same id@version: the first by folder name wins, the other is
 * refused with E_CATALOG_DUPLICATE. Throws only when the directory itself is missing.
 */
export async function scanCatalog(modulesDir: string): Promise<CatalogScan> {
  const root = path.resolve(modulesDir);
  let entries;
  try {
    if (!(await stat(root)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    entries = await readdir(root, { withFileTypes: true });
  } catch (error) {
    throw new HotmodError(
      CatalogErrorCode.DIR_MISSING,
      `modules directory ${root} cannot be scanned: ${(error as Error).message}; create it or pass the right one (--modules DIR / modulesDir)`,
      { modulesDir: root },
      { cause: error },
    );
  }
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .map((e) => e.name)
    .sort();
  const loaded: LoadedPackage[] = [];
  for (let i = 0; i < folders.length; i++) {
    // Read in place (readModulePackage), a slice at a time: the event loop runs between slices.
    if (i > 0 && i % SLICE === 0) await nextTurn();
    loaded.push(readModulePackage(path.join(root, folders[i]!)));
  }

  const byKey = new Map<string, ModulePackage>();
  const diagnostics: ManifestDiagnostic[] = [];
  for (const { pkg, diagnostics: found } of loaded) {
    diagnostics.push(...found);
    if (!pkg) continue;
    const first = byKey.get(pkg.key);
    if (first) {
      diagnostics.push({
        code: CatalogErrorCode.DUPLICATE,
        dir: pkg.dir,
        file: pkg.packageJsonPath,
        jsonPath: '$.version',
        message: `${pkg.key} is already in the catalog from ${path.relative(root, first.dir)}; this copy is ignored`,
        fix: `Remove one of the folders or give this one another version.`,
        severity: 'error',
      });
      continue;
    }
    byKey.set(pkg.key, pkg);
  }
  const packages = [...byKey.values()].sort(comparePackages);
  diagnostics.push(...legacyIdClashes(packages));
  return Object.freeze({
    packages: Object.freeze(packages),
    diagnostics: Object.freeze(sortDiagnostics(diagnostics)),
  });
}

/**
 * Legacy `modules_enabled` lists name modules by id or legacy id; a name that means two
 * modules is ambiguous. A module's own id wins (createCatalogView), so these are warnings.
 */
function legacyIdClashes(packages: readonly ModulePackage[]): ManifestDiagnostic[] {
  const ids = new Set(packages.map((p) => p.manifest.id));
  const claimedBy = new Map<string, string>();
  const out: ManifestDiagnostic[] = [];
  for (const pkg of packages) {
    pkg.manifest.legacyIds.forEach((legacy, i) => {
      const at = { code: CatalogErrorCode.LEGACY_ID_CLASH, dir: pkg.dir, file: pkg.packageJsonPath, jsonPath: `$.hotmod.legacyIds[${i}]`, severity: 'warning' as const };
      const owner = claimedBy.get(legacy);
      if (ids.has(legacy))
        out.push({ ...at, message: `legacy id '${legacy}' of ${pkg.key} is the id of another module, which wins in legacy lists`, fix: `Remove '${legacy}' from legacyIds.` });
      else if (owner !== undefined && owner !== pkg.manifest.id)
        out.push({ ...at, message: `legacy id '${legacy}' is claimed by both '${owner}' and '${pkg.manifest.id}'; legacy lists resolve it to '${owner}'`, fix: 'Keep the legacy id in one module only.' });
      else claimedBy.set(legacy, pkg.manifest.id);
    });
  }
  return out;
}

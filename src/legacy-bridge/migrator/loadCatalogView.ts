import type { CatalogView } from '../../types.js';
import { createCatalogView, resolvePlan, scanCatalog, type CatalogScan, type ModuleManifest } from '../../registry/index.js';
import { HOTMOD_VERSION } from '../../version.js';

/**
 * The catalog as a host started on `modulesDir` would see it, for the CLI and the script
 * (a host hands its own CatalogView to the migrator): the resolver's choice of version per
 * id where it resolves, the newest valid version otherwise (ids and legacyIds are what the
 * migration reads; a module that does not resolve is still the one legacy lists name).
 */
export async function loadCatalogView(modulesDir: string): Promise<{ catalog: CatalogView; refused: number }> {
  return catalogViewOfScan(await scanCatalog(modulesDir));
}

/** loadCatalogView over a scan already in hand. */
export function catalogViewOfScan(scan: CatalogScan): { catalog: CatalogView; refused: number } {
  const chosen = new Map<string, ModuleManifest>();
  try {
    const plan = resolvePlan(scan.packages, { hostVersion: HOTMOD_VERSION, mode: 'partial' });
    for (const m of plan.modules) chosen.set(m.id, m.pkg.manifest);
  } catch {
    // Partial mode does not throw for unresolved modules; anything else: newest versions below.
  }
  // Packages are sorted by id, then version descending: the first of an id is the newest.
  for (const pkg of scan.packages) if (!chosen.has(pkg.manifest.id)) chosen.set(pkg.manifest.id, pkg.manifest);
  const refused = new Set(scan.diagnostics.filter((d) => d.severity === 'error').map((d) => d.dir)).size;
  return { catalog: createCatalogView([...chosen.values()], 1), refused };
}

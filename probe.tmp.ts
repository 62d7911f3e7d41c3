import { resolvePlan, type ModulePackage, type ResolvePlan } from './src/registry/index.js';
import { incrementalStats } from './src/registry/resolveSession.js';
import { alternativesPackages } from './tests/registry/alternativesCatalog.js';
const n = Number(process.argv[2] ?? 10000);
const packages = Object.freeze(alternativesPackages(n));
function withManifestChange(packages: readonly ModulePackage[], generation: number, at = 3): readonly ModulePackage[] {
  const out = [...packages];
  let i = Math.floor(packages.length / at);
  while (Object.keys(packages[i]!.manifest.requires).length === 0) i++;
  const old = packages[i]!;
  if (generation % 2 === 1) out[i] = { ...old, manifest: { ...old.manifest, requires: {} }, dir: `${old.dir}#${generation}` };
  return Object.freeze(out);
}
const fp = (p: ResolvePlan) => JSON.stringify({ levels: p.levels, m: p.modules.map((m) => [m.id, m.version, m.pkg.dir, { ...m.bindings }, m.dependsOn, m.dependents]) });
for (const at of [3, 2, 5, 7, 1.5]) {
  let prev = resolvePlan(packages, { hostVersion: '1.0.0' });
  for (let g = 1; g <= 4; g++) {
    const next = withManifestChange(packages, g, at);
    const before = incrementalStats.shortcut;
    let t = performance.now();
    const inc = resolvePlan(next, { hostVersion: '1.0.0', previous: prev });
    const ti = performance.now() - t;
    const full = resolvePlan([...next], { hostVersion: '1.0.0' });
    console.log(at, g, 'shortcut', incrementalStats.shortcut - before, ti.toFixed(1), 'ms', fp(inc) === fp(full) ? 'same' : 'DIFFERENT');
    prev = inc;
  }
}

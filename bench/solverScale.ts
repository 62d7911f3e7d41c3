/**
 * The resolver's search at scale (docs/resolver.md "The budget"): one cold resolve per
 * catalog of the alternatives shape, with its backtrack count. Usage:
 *   npx tsx bench/solverScale.ts 30000 [seed] [upwardShare]
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { resolvePlan } from '../src/registry/index.js';
import { alternativesPackages } from '../tests/registry/alternativesCatalog.js';
import { lastSearchStats } from '../src/registry/solver.js';

const n = Number(process.argv[2] ?? 10_000);
const seed = Number(process.argv[3] ?? 1);
const upwardShare = Number(process.argv[4] ?? 0);
const packages = Object.freeze(alternativesPackages(n, { seed, upwardShare }));
const start = performance.now();
let outcome: string;
try {
  const plan = resolvePlan(packages, { hostVersion: '1.0.0', maxBacktracks: Number(process.env.BUDGET ?? 200_000) });
  outcome = `ok, ${plan.modules.length} modules, ${plan.unresolved.length} unresolved`;
} catch (e) {
  outcome = (e as { code?: string }).code ?? String(e);
}
const ms = performance.now() - start;
const coldSearches = lastSearchStats();
// Again on the same frozen list: the index and the dead-package pass are reused, so this is the search and the plan.
const warmStart = performance.now();
try {
  resolvePlan(packages, { hostVersion: '1.0.0', maxBacktracks: Number(process.env.BUDGET ?? 200_000) });
} catch {
  // the same outcome as above
}
const warmMs = performance.now() - warmStart;
lastSearchStats();
console.log(JSON.stringify({ n, seed, upwardShare, ms: Math.round(ms), warmMs: Math.round(warmMs), outcome, searches: coldSearches, load: os.loadavg().map((l) => l.toFixed(2)) }));

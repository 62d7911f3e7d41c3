/**
 * The running module graph, read from the module table's snapshots: an edge goes from a
 * module to each module it requires (required providers and dependsOn). Stop and unload
 * walk it deepest dependents first, so no running module is left calling a provider that
 * is already gone.
 *
 *   billing ──► payments ──► accounts        depth: accounts 0, payments 1, billing 2
 */
import type { ModuleSnapshot, ModuleTable } from './moduleTable.js';

/** Depth in the dependency graph (0: needs nothing). A cycle counts as no edge. */
export function depthOf(table: ModuleTable, record: ModuleSnapshot, seen = new Set<string>()): number {
  if (seen.has(record.id)) return 0;
  seen.add(record.id);
  let depth = 0;
  for (const id of record.requiredModules) {
    const dep = table.get(id);
    if (dep) depth = Math.max(depth, depthOf(table, dep, seen) + 1);
  }
  seen.delete(record.id);
  return depth;
}

/** Every module grouped by depth, deepest first: each group can stop concurrently once the one before is down. */
export function levelsDeepestFirst(table: ModuleTable): ModuleSnapshot[][] {
  const byDepth = new Map<number, ModuleSnapshot[]>();
  for (const r of table.values()) {
    const depth = depthOf(table, r);
    byDepth.set(depth, [...(byDepth.get(depth) ?? []), r]);
  }
  return [...byDepth.keys()].sort((a, b) => b - a).map((depth) => byDepth.get(depth)!);
}

/** Modules that require `id` (bindings or dependsOn), directly or transitively, deepest first. */
export function dependentsOf(table: ModuleTable, id: string): ModuleSnapshot[] {
  const found = new Set<string>([id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of table.values()) {
      if (found.has(r.id) || r.state.name === 'unresolved') continue;
      if (r.requiredModules.some((dep) => found.has(dep))) {
        found.add(r.id);
        grew = true;
      }
    }
  }
  found.delete(id);
  return [...found].map((d) => table.get(d)!).sort((a, b) => depthOf(table, b) - depthOf(table, a));
}

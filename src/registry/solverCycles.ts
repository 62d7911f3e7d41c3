/**
 * The solver's last check of a complete assignment: do the chosen versions close a cycle
 * (dependsOn edges, and required capabilities bound by the plan's rule: the provider in the
 * plan with the highest capability version in range, then module id)? Used by resolvePlan
 * when the preferred assignment has a cycle, so the search goes on to the first assignment
 * in preference order that has none, or proves that none exists.
 *
 * A cycle's conflict names the packages it depends on: its members, and the packages that
 * hold the slots of better-ranked providers of its binding edges (another version of one
 * of them could take the binding and break the cycle).
 */
import type { ResolveIndex } from './resolveIndex.js';
import type { Reason } from './solverTypes.js';
import type { ModulePackage } from './types.js';

export interface CycleConflict {
  readonly members: readonly ModulePackage[];
  readonly reason: Reason;
}

interface Edge {
  readonly to: number;
  /** The words of the edge: "a 1.0.0 depends on b ^1" / "a 1.0.0 requires c ^1, provided by b". */
  readonly why: string;
  /** Chosen packages whose other versions could redirect this binding. */
  readonly redirects: readonly ModulePackage[];
}

/** At most this many cycles are reported per check (the first is the conflict; the others are learned). */
const MAX_CYCLES = 64;

export function cycleCheck(index: ResolveIndex): (chosen: readonly (ModulePackage | undefined)[]) => (CycleConflict & { readonly more?: readonly CycleConflict[] }) | null {
  // Sorted ids: the cycle reported (and so the explanation) does not depend on input order.
  const order = index.ids.map((id) => index.slotOf(id));
  return (chosen) => {
    const edgesOf = (slot: number): Edge[] => {
      const pkg = chosen[slot]!;
      const m = pkg.manifest;
      const out: Edge[] = [];
      for (const t of index.obligationsOf(pkg)) {
        if (t.kind === 'dep') {
          if (chosen[t.slot] !== undefined) out.push({ to: t.slot, why: `${m.id} ${m.version} depends on ${t.id} ${t.range}`, redirects: [] });
        } else if (t.kind === 'cap') {
          const redirects: ModulePackage[] = [];
          for (const e of t.providers ?? index.providers(t.name)) {
            const held = chosen[e.slot];
            if (held === undefined || !e.engineOk || !index.satisfies(e.capabilityVersion, t.range)) continue;
            if (held === e.pkg) {
              out.push({ to: e.slot, why: `${m.id} ${m.version} requires ${t.name} ${t.range}, provided by ${e.pkg.manifest.id}`, redirects });
              break;
            }
            redirects.push(held);
          }
        }
      }
      return out;
    };
    // Iterative depth-first search; a back edge closes a cycle.
    const state = new Uint8Array(chosen.length); // 0 new, 1 on the path, 2 done
    const cache = new Map<number, Edge[]>();
    const edges = (slot: number) => {
      let e = cache.get(slot);
      if (!e) cache.set(slot, (e = edgesOf(slot)));
      return e;
    };
    const found: CycleConflict[] = [];
    for (const root of order) {
      if (found.length >= MAX_CYCLES) break;
      if (chosen[root] === undefined || state[root] !== 0) continue;
      const path: number[] = [root];
      const via: Edge[] = [];
      const next: number[] = [0];
      state[root] = 1;
      while (path.length > 0) {
        const slot = path[path.length - 1]!;
        const list = edges(slot);
        const k = next[next.length - 1]!;
        if (k >= list.length) {
          state[slot] = 2;
          path.pop();
          next.pop();
          via.pop();
          continue;
        }
        next[next.length - 1] = k + 1;
        const edge = list[k]!;
        if (state[edge.to] === 1) {
          const start = path.indexOf(edge.to);
          const cycleEdges = [...via.slice(start), edge];
          const slots = path.slice(start);
          const members = slots.map((s) => chosen[s]!);
          const ids = [...slots, edge.to].map((s) => chosen[s]!.manifest.id);
          const culprits = new Set<ModulePackage>(members);
          for (const e of cycleEdges) for (const r of e.redirects) culprits.add(r);
          const names = members.map((p) => `${p.manifest.id} ${p.manifest.version}`);
          found.push({
            members: [...culprits],
            reason: {
              kind: 'conflict',
              chain: [`${names.length === 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`} together would close a cycle: ${ids.join(' -> ')} (${cycleEdges.map((e) => e.why).join('; ')})`],
            },
          });
          if (found.length >= MAX_CYCLES) break;
        }
        if (state[edge.to] === 0) {
          state[edge.to] = 1;
          path.push(edge.to);
          via.push(edge);
          next.push(0);
        }
      }
    }
    return found.length === 0 ? null : { ...found[0]!, more: found.slice(1) };
  };
}

/**
 * Would adding `extra` to the plan move a required binding of a module already in it (an
 * extra provider ranked above the one it binds to)? The optional-provider pass must not:
 * an optional requirement never changes what the plan's required bindings are.
 */
export function wouldRedirect(index: ResolveIndex, selected: ReadonlyMap<string, ModulePackage>, extra: ReadonlyMap<string, ModulePackage>): boolean {
  const offered = new Set<string>();
  for (const pkg of extra.values()) for (const name of Object.keys(pkg.manifest.provides)) offered.add(name);
  if (offered.size === 0) return false;
  for (const pkg of selected.values()) {
    for (const t of index.obligationsOf(pkg)) {
      if (t.kind !== 'cap' || !offered.has(t.name)) continue;
      for (const e of t.providers ?? index.providers(t.name)) {
        if (!e.engineOk || !index.satisfies(e.capabilityVersion, t.range)) continue;
        const id = e.pkg.manifest.id;
        if (selected.get(id) === e.pkg) break;
        if (extra.get(id) === e.pkg) return true;
      }
    }
  }
  return false;
}

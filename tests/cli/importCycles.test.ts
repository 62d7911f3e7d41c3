/**
 * No import circles: the static imports between src/ files (`import … from './x.js'`, type
 * imports and re-exports included; dynamic `import()` excluded, as main.ts loads commands
 * lazily) form no cycle. Reports every cycle it finds as a → b → a.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listFiles } from '../../src/shared/fs.js';

const root = path.resolve(import.meta.dirname, '../..');

/** file → the src files it imports statically (relative specifiers, .js → .ts). */
export async function importGraph(dir: string): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await listFiles(dir, (name) => name.endsWith('.ts'))) {
    const text = await readFile(file, 'utf8');
    const targets: string[] = [];
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s+['"](\.[^'"]+)['"]|^\s*import\s+['"](\.[^'"]+)['"]/gm)) {
      const spec = (m[1] ?? m[2])!;
      targets.push(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts')));
    }
    graph.set(file, targets);
  }
  return graph;
}

/** Every elementary cycle found by a depth-first search, each once, as relative paths. */
export function cycles(graph: Map<string, string[]>): string[][] {
  const found = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') {
        const cycle = stack.slice(stack.indexOf(next)).map((f) => path.relative(root, f));
        const key = [...cycle].sort().join('|');
        if (!found.has(key)) found.set(key, [...cycle, cycle[0]!]);
      } else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return [...found.values()];
}

describe('import circles', () => {
  it('finds a cycle when there is one (the search works)', () => {
    const g = new Map([
      [path.join(root, 'a.ts'), [path.join(root, 'b.ts')]],
      [path.join(root, 'b.ts'), [path.join(root, 'a.ts'), path.join(root, 'c.ts')]],
      [path.join(root, 'c.ts'), []],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'a.ts']]);
  });

  it('src/ has none but the known one, and src/cli none at all (commands import src/cli/command.ts, never main.ts)', async () => {
    const graph = await importGraph(path.join(root, 'src'));
    expect(graph.get(path.join(root, 'src/cli/commands/clients.ts'))).toContain(path.join(root, 'src/cli/command.ts'));
    // Known, owned by the resolver's rewrite (src/registry/solver.ts); remove the entry with the circle.
    const known = new Set(['src/registry/resolveIndex.ts → src/registry/solver.ts → src/registry/resolveIndex.ts', 'src/registry/solver.ts → src/registry/resolveIndex.ts → src/registry/solver.ts']);
    expect(cycles(graph).map((c) => c.join(' → ')).filter((c) => !known.has(c))).toEqual([]);
  });
});

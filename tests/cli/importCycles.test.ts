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

  it('src/ has none, and src/cli none at all (commands import src/cli/command.ts, never main.ts)', async () => {
    const graph = await importGraph(path.join(root, 'src'));
    expect(graph.get(path.join(root, 'src/cli/commands/clients.ts'))).toContain(path.join(root, 'src/cli/command.ts'));
    expect(cycles(graph).map((c) => c.join(' → '))).toEqual([]);
  });
});

/** The layers (docs/architecture.md): the kernel below every part; a part's door is its index.ts. */
const PARTS = ['registry', 'sandbox', 'runtime', 'legacy-bridge', 'fleet', 'cli', 'fastify'];
const KERNEL = ['src/errors.ts', 'src/types.ts', 'src/version.ts', 'src/manifest.ts'];

function partOf(rel: string): string | undefined {
  const [top, dir] = rel.split('/');
  return top === 'src' && dir !== undefined && PARTS.includes(dir) ? dir : undefined;
}
const isKernel = (rel: string) => KERNEL.includes(rel) || rel.startsWith('src/shared/');

/** Imports that break the layers, as `from → to: why`. */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  for (const [file, targets] of graph) {
    const from = path.relative(root, file);
    for (const target of targets) {
      const to = path.relative(root, target);
      const toPart = partOf(to);
      if (toPart === undefined) continue;
      if (isKernel(from)) found.push(`${from} → ${to}: the kernel imports no part`);
      else {
        const fromPart = partOf(from);
        if (fromPart !== undefined && fromPart !== toPart && to !== `src/${toPart}/index.ts`) found.push(`${from} → ${to}: another part only through src/${toPart}/index.ts`);
      }
    }
  }
  return found;
}

describe('layers', () => {
  it('flags a kernel file importing a part, and a part importing another part by file (the check works)', () => {
    const f = (rel: string) => path.join(root, rel);
    const g = new Map([
      [f('src/types.ts'), [f('src/registry/types.ts')]],
      [f('src/shared/fs.ts'), [f('src/errors.ts')]],
      [f('src/runtime/router.ts'), [f('src/sandbox/types.ts'), f('src/sandbox/index.ts'), f('src/runtime/types.ts'), f('src/errors.ts')]],
      [f('src/index.ts'), [f('src/runtime/index.ts')]],
    ]);
    expect(layerViolations(g)).toEqual([
      'src/types.ts → src/registry/types.ts: the kernel imports no part',
      'src/runtime/router.ts → src/sandbox/types.ts: another part only through src/sandbox/index.ts',
    ]);
  });

  it('src/ keeps them: the kernel (errors.ts, types.ts, version.ts, manifest.ts, shared/) imports no part; parts import each other only through index.ts', async () => {
    const graph = await importGraph(path.join(root, 'src'));
    expect(graph.has(path.join(root, 'src/manifest.ts'))).toBe(true);
    expect(layerViolations(graph)).toEqual([]);
  });
});

describe("the legacy bridge's door", () => {
  it('src/legacy-bridge/index.ts exports only what another part imports from it or docs/legacy-bridge.md / docs/migration.md name', async () => {
    const door = await readFile(path.join(root, 'src/legacy-bridge/index.ts'), 'utf8');
    const exported = [...door.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}/g)].flatMap((m) =>
      m[1]!
        .split(',')
        .map((n) => n.replace(/\btype\s+/, '').trim())
        .filter(Boolean),
    );
    expect(door).not.toMatch(/export \*/);
    const used = new Set<string>();
    for (const file of await listFiles(path.join(root, 'src'), (name) => name.endsWith('.ts'))) {
      if (file.startsWith(path.join(root, 'src/legacy-bridge') + path.sep)) continue;
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*'[./]*legacy-bridge\/index\.js'/g)) {
        for (const n of m[1]!.split(',')) used.add(n.replace(/\btype\s+/, '').split(' as ')[0]!.trim());
      }
    }
    const docs = (await readFile(path.join(root, 'docs/legacy-bridge.md'), 'utf8')) + (await readFile(path.join(root, 'docs/migration.md'), 'utf8'));
    expect(exported.length).toBeGreaterThan(10);
    expect(exported.filter((n) => !used.has(n) && !new RegExp(`\\b${n}\\b`).test(docs))).toEqual([]);
  });
});

describe('one copy of the shared helpers', () => {
  it('no src file outside src/shared defines its own fs probe or edit distance (src/shared/fs.ts, nearest.ts)', async () => {
    const known = new Set<string>();
    const found: string[] = [];
    for (const file of await listFiles(path.join(root, 'src'), (name) => name.endsWith('.ts'))) {
      const rel = path.relative(root, file);
      if (rel.startsWith('src/shared/')) continue;
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/function\s+(isFile|isDirectory|pathExists|exists|fileExists|dirExists|editDistance|levenshtein|distance)\s*\(/g)) found.push(`${rel}: ${m[1]}`);
    }
    expect(found.filter((f) => !known.has(f))).toEqual([]);
  });
});

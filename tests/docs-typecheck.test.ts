/**
 * Every TypeScript example in the docs compiles against the package's exports.
 *
 * The rule: each ```ts / ```typescript block in docs/*.md and README.md is a file of its
 * own that an application could hold, importing from 'hotmod' and 'hotmod/fastify' (the
 * package's "exports", resolved through package.json self-reference), Fastify and Node.
 * A block that is on purpose not a whole program (a signature listing, options with
 * placeholders, a continuation of the block before it, internal or module-side code) is
 * marked ```ts fragment and is not compiled. A block without import or export is compiled
 * as a module (top-level await is allowed, as in an ES module application).
 *
 * The blocks are written to a directory inside the repository (.tmp/, ignored by git) so
 * that 'hotmod' resolves to this package, and compiled as one program with tsconfig.json's
 * options (NodeNext): one compile for all blocks.
 */
import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, '.tmp', `docs-typecheck-${process.pid}`);

interface Block {
  /** doc:line of the opening fence */
  where: string;
  info: string;
  code: string;
}

/** The fenced blocks of a markdown text whose info string starts with ts or typescript. */
export function typescriptBlocks(markdown: string, doc: string): Block[] {
  const blocks: Block[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^`]*)$/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const info = open[3]!.trim();
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !lines[j]!.trimStart().startsWith(fence)) body.push(lines[j++]!);
    const lang = info.split(/\s+/)[0];
    if (lang === 'ts' || lang === 'typescript') blocks.push({ where: `${doc}:${i + 1}`, info, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

async function docBlocks(): Promise<Block[]> {
  const docs = (await readdir(path.join(root, 'docs'))).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  const all: Block[] = [];
  for (const doc of [...docs, 'README.md']) all.push(...typescriptBlocks(await readFile(path.join(root, doc), 'utf8'), doc));
  return all;
}

const isFragment = (b: Block) => b.info.split(/\s+/).slice(1).includes('fragment');

afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('docs code blocks', () => {
  it('finds blocks, and tells fragments from programs by the info string', () => {
    const found = typescriptBlocks(['```ts', 'const a = 1;', '```', '```ts fragment', 'x', '```', '```sh', 'ls', '```', '```typescript', 'let b;', '```'].join('\n'), 'x.md');
    expect(found.map((b) => [b.where, isFragment(b)])).toEqual([
      ['x.md:1', false],
      ['x.md:4', true],
      ['x.md:10', false],
    ]);
  });

  it('every ```ts block in docs/ and README.md that is not a fragment typechecks against the package exports', { timeout: 180_000 }, async () => {
    const blocks = (await docBlocks()).filter((b) => !isFragment(b));
    expect(blocks.length).toBeGreaterThan(5);
    await mkdir(outDir, { recursive: true });
    const files = new Map<string, string>();
    for (const [n, block] of blocks.entries()) {
      const file = path.join(outDir, `${String(n).padStart(2, '0')}-${block.where.replace(/[^A-Za-z0-9]+/g, '-')}.ts`);
      const module = /^\s*(import|export)\s/m.test(block.code) ? '' : '\nexport {};\n';
      await writeFile(file, `${block.code}\n${module}`);
      files.set(path.resolve(file), block.where);
    }
    const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
    const program = ts.createProgram([...files.keys()], { ...options, noEmit: true });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const text = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file) return `TS${d.code}: ${text}`;
      const where = files.get(path.resolve(d.file.fileName));
      const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
      const [doc, fence] = (where ?? `${path.relative(root, d.file.fileName)}:0`).split(':');
      return `${doc}:${Number(fence) + line + 1} TS${d.code}: ${text}`;
    });
    expect(problems, 'docs blocks that do not compile (fix them, or mark intentional fragments ```ts fragment)').toEqual([]);
  });
});

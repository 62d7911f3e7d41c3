import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadModulePackage } from '../../src/registry/index.js';
import { createModuleWatcher, type ModuleWatcher, type ModuleWatcherOptions } from '../../src/runtime/watcher.js';
import { assertNeverWatchEvent, describeWatchEvent, type ModuleWatchEvent } from '../../src/runtime/watchEvents.js';
import { EventRecorder, copyFixture, quiesce, sleep, tempModulesDir, until } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function setup(options: Partial<ModuleWatcherOptions> = {}, fixtures: string[] = []) {
  const tmp = await tempModulesDir();
  cleanups.push(tmp.cleanup);
  for (const name of fixtures) await copyFixture(name, tmp.dir);
  const watcher = createModuleWatcher({ modulesDir: tmp.dir, settleMs: 150, ...options });
  cleanups.push(() => watcher.close());
  const recorder = new EventRecorder(watcher);
  await watcher.ready();
  return { modulesDir: tmp.dir, watcher, recorder };
}

const greeterSource = (greeting: string) =>
  `const GREETING: string = '${greeting}';\nexport async function activate() {\n  return { 'greeter.api': { async greet() { return GREETING; } } };\n}\n`;

describe('module watcher: folders', () => {
  it('reports a new valid module folder as added, with the validated package', async () => {
    const { modulesDir, recorder, watcher } = await setup();
    await copyFixture('greeter', modulesDir);
    const added = await recorder.next('added');
    expect(added.pkg.manifest.id).toBe('greeter');
    expect(added.pkg.key).toBe('greeter@1.0.0');
    expect(added.dir).toBe(path.join(modulesDir, 'greeter'));
    expect(added.files).toContain('package.json');
    await quiesce(watcher);
    expect(recorder.types()).toEqual(['added']);
  });

  it('does not report folders that existed at start, unless emitInitial is set', async () => {
    const quiet = await setup({}, ['greeter']);
    await quiesce(quiet.watcher);
    expect(quiet.recorder.events).toEqual([]);

    const loud = await setup({ emitInitial: true }, ['greeter']);
    const added = await loud.recorder.next('added');
    expect(added.pkg.key).toBe('greeter@1.0.0');
  });

  it('reports a removed folder with the id of the module it held', async () => {
    const { modulesDir, recorder } = await setup({}, ['greeter']);
    await rm(path.join(modulesDir, 'greeter'), { recursive: true });
    const removed = await recorder.next('removed');
    expect(removed).toMatchObject({ type: 'removed', moduleId: 'greeter', reason: 'folder-removed', dir: path.join(modulesDir, 'greeter') });
    expect(removed.previous?.key).toBe('greeter@1.0.0');
  });

  it('reports an id change as removed (old id) then added (new id), in that order', async () => {
    const { modulesDir, recorder } = await setup({}, ['greeter']);
    const file = path.join(modulesDir, 'greeter/package.json');
    const pkg = JSON.parse(await readFile(file, 'utf8'));
    pkg.hotmod.id = 'greeter2';
    await writeFile(file, JSON.stringify(pkg, null, 2));
    await recorder.next('added');
    expect(recorder.types()).toEqual(['removed', 'added']);
    expect(recorder.events[0]).toMatchObject({ type: 'removed', moduleId: 'greeter', reason: 'id-changed' });
    expect(recorder.events[1]).toMatchObject({ type: 'added', pkg: { key: 'greeter2@1.0.0' } });
  });

  it('ignores files directly in the modules directory and edits that do not reach the runtime', async () => {
    const { modulesDir, recorder, watcher } = await setup({}, ['greeter']);
    await writeFile(path.join(modulesDir, 'notes.txt'), 'not a module');
    await writeFile(path.join(modulesDir, 'greeter/README.md'), '# edited');
    await writeFile(path.join(modulesDir, 'greeter/.swp'), 'editor swap file');
    await quiesce(watcher);
    expect(recorder.events).toEqual([]);
  });
});

describe('module watcher: edits', () => {
  it('reports an edit of dist/ as changed, without rebuilding', async () => {
    const { modulesDir, recorder } = await setup({}, ['greeter']);
    await writeFile(path.join(modulesDir, 'greeter/dist/index.js'), 'export async function activate() { return { "greeter.api": {} }; }\n');
    const changed = await recorder.next('changed');
    expect(changed.files).toEqual(['dist/index.js']);
    expect(changed.build).toBeUndefined();
    expect(changed.previous.key).toBe('greeter@1.0.0');
    expect(changed.pkg.key).toBe('greeter@1.0.0');
  });

  it('rebuilds on an edit of src/ and reports changed once: its own dist write does not loop', async () => {
    const { modulesDir, recorder, watcher } = await setup({}, ['greeter']);
    const dist = path.join(modulesDir, 'greeter/dist/index.js');
    await writeFile(path.join(modulesDir, 'greeter/src/index.ts'), greeterSource('bonjour'));
    const changed = await recorder.next('changed');
    expect(changed.files).toEqual(['dist/index.js', 'src/index.ts']);
    expect(changed.build?.outfile).toBe(dist);
    expect(changed.build?.unchanged).toBe(false);
    expect(await readFile(dist, 'utf8')).toContain('"bonjour"');
    await quiesce(watcher, 1200);
    expect(recorder.types()).toEqual(['changed']);
  });

  it('reports a src/ syntax error as build-failed with file:line:column, and leaves dist/ untouched', async () => {
    const { modulesDir, recorder } = await setup({}, ['greeter']);
    const dist = path.join(modulesDir, 'greeter/dist/index.js');
    const before = await readFile(dist, 'utf8');
    await writeFile(path.join(modulesDir, 'greeter/src/index.ts'), 'export const broken = ;\n');
    const failed = await recorder.next('build-failed');
    expect(failed.error.code).toBe('E_BUILD_FAILED');
    expect(failed.error.message).toContain('src/index.ts:1:23');
    expect(failed.moduleId).toBe('greeter');
    expect(failed.files).toEqual(['src/index.ts']);
    expect(await readFile(dist, 'utf8')).toBe(before);

    // Fixing the source rebuilds and swaps.
    await writeFile(path.join(modulesDir, 'greeter/src/index.ts'), greeterSource('fixed'));
    const changed = await recorder.next('changed');
    expect(changed.build).toBeDefined();
    expect(await readFile(dist, 'utf8')).toContain('"fixed"');
  });

  it('reports an import of a Node builtin in src/ as build-failed with E_BUILD_NODE_API', async () => {
    const { modulesDir, recorder } = await setup({}, ['greeter']);
    await writeFile(path.join(modulesDir, 'greeter/src/index.ts'), `import { readFileSync } from 'node:fs';\nexport const activate = () => readFileSync;\n`);
    const failed = await recorder.next('build-failed');
    expect(failed.error.code).toBe('E_BUILD_NODE_API');
    expect(failed.error.message).toContain("'node:fs'");
    expect(failed.error.message).toContain('no Node API');
  });

  it('reports a half-written package.json as invalid (the old version keeps serving), then a good write as changed', async () => {
    const { modulesDir, recorder } = await setup({}, ['greeter']);
    const file = path.join(modulesDir, 'greeter/package.json');
    const good = await readFile(file, 'utf8');
    await writeFile(file, good.slice(0, Math.floor(good.length / 2)));
    const invalid = await recorder.next('invalid');
    expect(invalid.error.code).toBe('E_WATCH_INVALID');
    expect(invalid.error.message).toContain('greeter@1.0.0 keeps serving');
    expect(invalid.moduleId).toBe('greeter');
    expect(invalid.diagnostics.map((d) => d.code)).toContain('E_MANIFEST_PARSE');
    expect(invalid.files).toEqual(['package.json']);

    await writeFile(file, good.replace('"version": "1.0.0"', '"version": "1.0.1"'));
    const changed = await recorder.next('changed');
    expect(changed.pkg.key).toBe('greeter@1.0.1');
    expect(changed.previous.key).toBe('greeter@1.0.0');
    expect(recorder.types()).toEqual(['invalid', 'changed']);
  });

  it('settles a burst of 20 writes into one event that sees the last write', async () => {
    const { modulesDir, recorder, watcher } = await setup({ settleMs: 400 }, ['greeter']);
    const dist = path.join(modulesDir, 'greeter/dist/index.js');
    for (let i = 1; i <= 20; i++) writeFileSync(dist, `export async function activate() { return { 'greeter.api': { async n() { return ${i}; } } }; }\n`);
    const seen: string[] = [];
    watcher.on(async (event) => {
      if (event.type === 'changed') seen.push(await readFile(dist, 'utf8'));
    });
    await recorder.next('changed');
    await quiesce(watcher, 1200);
    expect(recorder.types()).toEqual(['changed']);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toContain('return 20;');
  });

  it('drops a stale cycle when a newer change arrives while it runs, and reports only the newer one', async () => {
    let hold: Promise<void> | undefined;
    let release = () => {};
    let held = false;
    const { modulesDir, recorder, watcher } = await setup(
      {
        validate: async (dir) => {
          if (hold) {
            const gate = hold;
            hold = undefined;
            held = true;
            await gate; // the first cycle after the edit waits here until the second edit landed
          }
          return loadModulePackage(dir);
        },
      },
      ['greeter'],
    );
    hold = new Promise<void>((resolve) => (release = resolve));
    cleanups.push(async () => release()); // never leave a cycle blocked (close() waits for it)
    const dist = path.join(modulesDir, 'greeter/dist/index.js');
    const seen: string[] = [];
    watcher.on(async (event) => {
      if (event.type === 'changed') seen.push(await readFile(dist, 'utf8'));
    });
    await writeFile(dist, 'export async function activate() { return { "greeter.api": {} }; } // one\n');
    await until(() => held, 'the first cycle to start validating');
    await writeFile(dist, 'export async function activate() { return { "greeter.api": {} }; } // two\n');
    await sleep(400); // the second change arrives and bumps the folder's generation
    release();
    await recorder.next('changed');
    await quiesce(watcher);
    expect(recorder.types()).toEqual(['changed']);
    expect(seen).toEqual([expect.stringContaining('// two')]);
  });

  it('builds a new folder that has src/ but no dist/ yet, then reports it added', async () => {
    const { modulesDir, recorder } = await setup();
    const staging = path.join(modulesDir, '.staging');
    await copyFixture('greeter', modulesDir, '.staging');
    await rm(path.join(staging, 'dist'), { recursive: true });
    await rename(staging, path.join(modulesDir, 'greeter'));
    const added = await recorder.next('added');
    expect(added.build?.outfile).toBe(path.join(modulesDir, 'greeter/dist/index.js'));
    expect(added.files).toContain('dist/index.js');
    expect(await readFile(path.join(modulesDir, 'greeter/dist/index.js'), 'utf8')).toContain('"hello"');
  });

  it('does not reload for a src/ edit whose bundle is byte-identical (a comment)', async () => {
    const { modulesDir, recorder, watcher } = await setup({}, ['greeter']);
    const src = path.join(modulesDir, 'greeter/src/index.ts');
    await writeFile(src, `${await readFile(src, 'utf8')}\n// just a comment\n`);
    await quiesce(watcher, 1000);
    expect(recorder.events).toEqual([]);
    // A real edit afterwards still reloads.
    await writeFile(src, greeterSource('hola'));
    expect((await recorder.next('changed')).files).toEqual(['dist/index.js', 'src/index.ts']);
  });

  it('reports a folder that lost its package.json as invalid (E_MANIFEST_NOT_FOUND)', async () => {
    const { modulesDir, recorder } = await setup();
    await copyFixture('greeter', modulesDir);
    await recorder.next('added');
    await rm(path.join(modulesDir, 'greeter/package.json'));
    const invalid = await recorder.next('invalid');
    expect(invalid.diagnostics.map((d) => d.code)).toEqual(['E_MANIFEST_NOT_FOUND']);
    expect(invalid.error.message).toContain('greeter@1.0.0 keeps serving');
  });

  it('does not rebuild when rebuild is off: a src/ edit alone is reported as changed against the old bundle', async () => {
    const { modulesDir, recorder } = await setup({ rebuild: false }, ['greeter']);
    const dist = path.join(modulesDir, 'greeter/dist/index.js');
    const before = await readFile(dist, 'utf8');
    await writeFile(path.join(modulesDir, 'greeter/src/index.ts'), greeterSource('unbuilt'));
    const changed = await recorder.next('changed');
    expect(changed.build).toBeUndefined();
    expect(await readFile(dist, 'utf8')).toBe(before);
  });
});

describe('module watcher: delivery and lifecycle', () => {
  it('waits for a listener promise before delivering the next event of the same folder', async () => {
    const { modulesDir, watcher } = await setup({}, ['greeter']);
    const log: string[] = [];
    watcher.on(async (event) => {
      log.push(`start ${event.type}`);
      await sleep(600);
      log.push(`end ${event.type}`);
    });
    const file = path.join(modulesDir, 'greeter/package.json');
    const good = await readFile(file, 'utf8');
    await writeFile(file, '{ "name": ');
    await until(() => log.includes('start invalid'), 'the invalid event');
    await writeFile(file, good);
    await until(() => log.includes('end changed'), 'the changed event to be handled');
    expect(log).toEqual(['start invalid', 'end invalid', 'start changed', 'end changed']);
  });

  it('reports a listener failure to onError and keeps delivering', async () => {
    const errors: { code: string; message: string }[] = [];
    const { modulesDir, watcher, recorder } = await setup({ onError: (error) => errors.push(error) }, ['greeter']);
    watcher.on(() => {
      throw new Error('listener bug');
    });
    await writeFile(path.join(modulesDir, 'greeter/dist/index.js'), 'export async function activate() { return { "greeter.api": {} }; }\n');
    await recorder.next('changed');
    await until(() => errors.length > 0, 'the listener error');
    expect(errors[0]!.code).toBe('E_WATCH_FAILED');
    expect(errors[0]!.message).toContain('listener bug');
  });

  it('rejects ready() with E_WATCH_FAILED when the modules directory does not exist', async () => {
    const tmp = await tempModulesDir();
    cleanups.push(tmp.cleanup);
    const watcher = createModuleWatcher({ modulesDir: path.join(tmp.dir, 'missing') });
    cleanups.push(() => watcher.close());
    await expect(watcher.ready()).rejects.toMatchObject({ code: 'E_WATCH_FAILED', message: expect.stringContaining('missing') });
  });

  it('close() leaves no fs watchers or timers behind and stops delivering events', async () => {
    const handles = () => {
      const info = process.getActiveResourcesInfo();
      return { fsWatchers: info.filter((r) => r === 'FSEventWrap' || r === 'StatWatcher').length, timers: info.filter((r) => r === 'Timeout').length };
    };
    await sleep(50);
    const before = handles();
    const { modulesDir, watcher, recorder } = await setup({}, ['greeter']);
    expect(handles().fsWatchers).toBeGreaterThan(before.fsWatchers);
    // Leave a settle timer pending at close time.
    await writeFile(path.join(modulesDir, 'greeter/dist/index.js'), 'export const pending = 1;\n');
    await sleep(20);
    await watcher.close();
    await watcher.close(); // idempotent
    await sleep(100);
    const after = handles();
    expect(after.fsWatchers).toBe(before.fsWatchers);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
    await writeFile(path.join(modulesDir, 'greeter/dist/index.js'), 'export const afterClose = 1;\n');
    await sleep(600);
    expect(recorder.events).toEqual([]);
  });

  it('closes when its AbortSignal is aborted', async () => {
    const controller = new AbortController();
    const { modulesDir, watcher, recorder } = await setup({ signal: controller.signal }, ['greeter']);
    controller.abort();
    await watcher.close();
    await writeFile(path.join(modulesDir, 'greeter/dist/index.js'), 'export const afterAbort = 1;\n');
    await sleep(600);
    expect(recorder.events).toEqual([]);
  });

  it('describes every event type in one line (an exhaustive switch)', () => {
    const handled = (event: ModuleWatchEvent): string => {
      switch (event.type) {
        case 'added':
        case 'changed':
        case 'removed':
        case 'invalid':
        case 'build-failed':
          return describeWatchEvent(event);
        default:
          return assertNeverWatchEvent(event);
      }
    };
    expect(handled({ type: 'removed', dir: '/m/a', moduleId: 'a', reason: 'folder-removed' })).toBe('removed a: the folder is gone');
    expect(() => assertNeverWatchEvent({ type: 'bogus' } as never)).toThrow('unhandled module watch event');
  });
});

// Keeps the type import used when a test above is edited away.
export type { ModuleWatcher };

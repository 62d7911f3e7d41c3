/** Shared helpers of the runtime tests: fixtures copied to temp dirs, hosts stopped after each test, polling. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino, type Logger } from 'pino';
import { afterEach } from 'vitest';
import { createHost, type Host, type HostOptions } from '../../src/runtime/index.js';
import { createIsolateSandboxFactory, type Sandbox, type SandboxFactory } from '../../src/sandbox/index.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/runtime');

const hosts: Host[] = [];
const temps: string[] = [];
const factories: CountingFactory[] = [];

afterEach(async () => {
  // Every host is stopped and every temp dir removed, even when a test failed...
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  // ...and no sandbox outlived its host: stop (and every swap, unload, restart) disposed them all.
  const leaked = factories.splice(0).flatMap((f) => [...f.live].map((s) => `${s.moduleId}@${s.version}`));
  if (leaked.length) throw new Error(`sandboxes not disposed after host.stop(): ${leaked.join(', ')}`);
});

interface CountingFactory extends SandboxFactory {
  /** Sandboxes created and not yet disposed. */
  readonly live: Set<Sandbox>;
}

/** The real isolate factory, counting the sandboxes it hands out until they are disposed. */
function countingFactory(): CountingFactory {
  const inner = createIsolateSandboxFactory();
  const live = new Set<Sandbox>();
  return {
    live,
    async create(options) {
      const sandbox = await inner.create(options);
      live.add(sandbox);
      return new Proxy(sandbox, {
        get(target, key) {
          if (key === 'dispose')
            return async () => {
              await target.dispose();
              live.delete(sandbox);
            };
          const value = Reflect.get(target, key, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
  };
}

/** A copy of tests/fixtures/runtime/<scenario> in a temp dir, for tests that rewrite files. Returns the modules dir. */
export async function copyFixture(scenario: string): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), `hotmod-rt-${scenario}-`));
  temps.push(root);
  const modulesDir = path.join(root, 'modules');
  await cp(path.join(FIXTURES, scenario), modulesDir, { recursive: true });
  return modulesDir;
}

export async function tempDir(prefix: string): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), `hotmod-rt-${prefix}-`));
  temps.push(root);
  return root;
}

/** A host that the test teardown stops. `configFile: false` unless given: fixtures run with everything enabled. */
export async function newHost(options: Partial<HostOptions> & { modulesDir: string }): Promise<Host> {
  const factory = countingFactory();
  factories.push(factory);
  const host = await createHost({ configFile: false, store: 'none', ...options, overrides: { isolateSandboxFactory: factory, ...options.overrides } });
  hosts.push(host);
  return host;
}

export interface CapturedLog {
  level: number;
  msg: string;
  module?: string;
  [k: string]: unknown;
}

/** A real pino logger writing into an array. */
export function capturingLogger(level = 'info'): { logger: Logger; lines: CapturedLog[] } {
  const lines: CapturedLog[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(JSON.parse(line) as CapturedLog) });
  return { logger, lines };
}

export async function waitFor<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function stateOf(host: Host, id: string): string | undefined {
  return host.status().find((s) => s.id === id)?.state;
}

/** Rewrites a module's version (package.json) and optionally its bundle, as an edit on disk would. */
export async function rewriteModule(dir: string, edit: { version?: string; code?: string; hotmod?: (h: Record<string, unknown>) => void; raw?: string }): Promise<void> {
  const file = path.join(dir, 'package.json');
  if (edit.raw !== undefined) {
    await writeFile(file, edit.raw);
  } else if (edit.version !== undefined || edit.hotmod) {
    const json = JSON.parse(await readFile(file, 'utf8')) as { version: string; hotmod: Record<string, unknown> };
    if (edit.version !== undefined) json.version = edit.version;
    edit.hotmod?.(json.hotmod);
    await writeFile(file, JSON.stringify(json, null, 2));
  }
  if (edit.code !== undefined) await writeFile(path.join(dir, 'dist/index.js'), edit.code);
}

export async function expectCode(promise: Promise<unknown>, code: string): Promise<Error & { code: string; details: Record<string, unknown> }> {
  try {
    await promise;
  } catch (error) {
    const e = error as Error & { code: string; details: Record<string, unknown> };
    if (e.code !== code) throw new Error(`expected ${code}, got ${e.code}: ${e.message}`, { cause: e });
    return e;
  }
  throw new Error(`expected a rejection with ${code}, but it resolved`);
}

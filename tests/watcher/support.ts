/**
 * Helpers for the watcher tests: temp modules directories with fixtures copied in, and
 * a recorder that waits for events by polling with generous timeouts (a noisy 2-core
 * machine delivers file events late, never early).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ModuleWatchEvent, ModuleWatcher } from '../../src/runtime/watcher.js';

export const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/watcher');

export async function tempModulesDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'hotmod-watcher-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Copies tests/fixtures/watcher/<name> to <modulesDir>/<as>. */
export async function copyFixture(name: string, modulesDir: string, as = name): Promise<string> {
  const target = path.join(modulesDir, as);
  await cp(path.join(FIXTURES, name), target, { recursive: true });
  return target;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` returns something truthy, or fails after `timeoutMs` with `what`. */
export async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export class EventRecorder {
  readonly events: ModuleWatchEvent[] = [];
  readonly unsubscribe: () => void;

  constructor(watcher: ModuleWatcher) {
    this.unsubscribe = watcher.on((event) => void this.events.push(event));
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  /** Waits for the `count`-th event of `type` (1-based) and returns it. */
  async next<T extends ModuleWatchEvent['type']>(type: T, count = 1, timeoutMs?: number): Promise<Extract<ModuleWatchEvent, { type: T }>> {
    return until(
      () => this.events.filter((e): e is Extract<ModuleWatchEvent, { type: T }> => e.type === type)[count - 1],
      `watch event #${count} of type '${type}' (so far: ${this.types().join(', ') || 'none'})`,
      timeoutMs,
    );
  }
}

/**
 * Waits until the watcher has been idle through a quiet period: events that are still in
 * the kernel's queue get the chance to arrive and settle before a test counts events.
 */
export async function quiesce(watcher: ModuleWatcher, quietMs = 800): Promise<void> {
  await watcher.idle();
  await sleep(quietMs);
  await watcher.idle();
}

/**
 * One running version of a module: its sandbox, what `activate` returned, and the count
 * of calls in flight, so that a swap or a stop can wait for them (drain) before
 * deactivating or disposing the sandbox.
 */
import type { ModulePackage } from '../registry/index.js';
import type { ActivatedModule, Sandbox } from '../sandbox/index.js';
import type { Clock } from './clock.js';

export class ModuleInstance {
  #inFlight = 0;
  #drainWaiters: (() => void)[] = [];
  /** Set once the instance is retired (swapped out, unloaded, crashed): the router never picks it again. */
  retired = false;

  constructor(
    readonly pkg: ModulePackage,
    readonly sandbox: Sandbox,
    readonly activated: ActivatedModule,
    readonly activatedAt: number,
    /** The bundle this instance runs: a rollback re-creates it from here, never from disk. */
    readonly code: string,
  ) {}

  get version(): string {
    return this.pkg.manifest.version;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get stateful(): boolean {
    return this.activated.hasDeactivate;
  }

  /** A call entered this instance (the router calls it synchronously with picking the instance). */
  enter(): void {
    this.#inFlight++;
  }

  /** A call left this instance; the last one out wakes the drain waiters. */
  leave(): void {
    if (--this.#inFlight === 0 && this.#drainWaiters.length) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Resolves true when no call is in flight, or false when `budgetMs` passed first (Infinity: no budget). */
  drain(clock: Clock, budgetMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    if (budgetMs === Infinity) return new Promise((resolve) => this.#drainWaiters.push(() => resolve(true)));
    return new Promise((resolve) => {
      let settled = false;
      const timer = clock.setTimeout(() => {
        if (settled) return;
        settled = true;
        resolve(false);
      }, budgetMs);
      this.#drainWaiters.push(() => {
        if (settled) return;
        settled = true;
        clock.clearTimeout(timer);
        resolve(true);
      });
    });
  }
}

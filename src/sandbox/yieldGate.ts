/**
 * Module-to-module hops run in microtasks: a chain of them (a capability call in a loop,
 * two modules calling each other) never gives the event loop a turn, so no timer fires
 * (not even the call's deadline) and no other request is served. The gate lets work run
 * at once while the current burst of microtask work is short, and defers it to
 * setImmediate once the burst has lasted YIELD_AFTER_MS: timers and I/O then get their
 * turn before the chain goes on. A plain call pays one performance.now().
 */

/** How long a run of hops may hold the event loop before it yields (ms). */
export const YIELD_AFTER_MS = 1;

let burstStart = -1;
const endBurst = (): void => {
  burstStart = -1;
};

/** True when the caller should defer its work to the next turn of the event loop. */
function mustYield(): boolean {
  const now = performance.now();
  if (burstStart < 0) {
    burstStart = now;
    // Runs as soon as the loop gets a turn: the burst is over then.
    setImmediate(endBurst);
    return false;
  }
  return now - burstStart > YIELD_AFTER_MS;
}

/** Runs `fn` now, or on the next turn of the event loop if this burst has run long. */
export function runOrYield(fn: () => void): void {
  if (mustYield()) setImmediate(fn);
  else fn();
}

/** Queues `fn` as a microtask, or on the next turn of the event loop if this burst has run long. */
export function queueOrYield(fn: () => void): void {
  if (mustYield()) setImmediate(fn);
  else queueMicrotask(fn);
}

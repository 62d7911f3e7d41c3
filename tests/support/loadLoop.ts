export interface LoadStats {
  ok: number;
  failed: number;
  /** The first five errors, for the assertion message. */
  errors: unknown[];
}

/**
 * Runs `callers` loops of `call(n)` until `stop()` (n is unique per call); counts successes
 * and failures. Calls into a sync-mode isolate settle in microtasks only, so each loop yields
 * to the event loop (setImmediate) every `callsPerYield` calls, letting timers and swaps run;
 * `callsPerYield: Infinity` yields only before the first call, for calls that really wait
 * (a child process).
 */
export function loadLoop(call: (n: number) => Promise<unknown>, callers: number, { callsPerYield = 1 }: { callsPerYield?: number } = {}) {
  let running = true;
  const stats: LoadStats = { ok: 0, failed: 0, errors: [] };
  const loops = Array.from({ length: callers }, async (_, c) => {
    let n = 0;
    while (running) {
      if (n % callsPerYield === 0) await new Promise((r) => setImmediate(r));
      try {
        await call(c * 1_000_000 + n++);
        stats.ok++;
      } catch (error) {
        stats.failed++;
        if (stats.errors.length < 5) stats.errors.push(error);
      }
    }
  });
  return {
    stats,
    async stop(): Promise<LoadStats> {
      running = false;
      await Promise.all(loops);
      return stats;
    },
  };
}

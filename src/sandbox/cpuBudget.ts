/**
 * A module's cumulative CPU budget over a sliding window. Every time limit in the sandbox
 * is per entry, so a timer callback that spins up to its limit and re-arms itself gets a
 * fresh budget on every run and keeps the event loop busy for good. The meter samples the
 * isolate's own CPU clock (`isolate.cpuTime`, which counts only time spent running in the
 * isolate) on an unref'd host timer, never on the call path, and reports the module once
 * the CPU used over the last window exceeds the budget.
 */
import type ivm from 'isolated-vm';
import { HotmodError } from '../errors.js';
import { SandboxErrorCode } from './errors.js';

/** Defaults of limits.cpuBudgetMs / limits.cpuWindowMs: half a core, averaged over 10 s. */
export const DEFAULT_CPU_BUDGET_MS = 5000;
export const DEFAULT_CPU_WINDOW_MS = 10_000;
/** Samples per window: the window slides in steps of a quarter. */
const STEPS = 4;

/**
 * One unref'd interval per sampling period, shared by every meter with that period: a new
 * sandbox joins a set instead of arming a timer of its own (cheaper to create, and 500
 * modules make one timer, not 500).
 */
const clocks = new Map<number, { timer: NodeJS.Timeout; meters: Set<CpuMeter> }>();

function join(periodMs: number, meter: CpuMeter): void {
  let clock = clocks.get(periodMs);
  if (clock === undefined) {
    const meters = new Set<CpuMeter>();
    const timer = setInterval(() => {
      for (const m of meters) m.sample();
    }, periodMs);
    timer.unref();
    clocks.set(periodMs, (clock = { timer, meters }));
  }
  clock.meters.add(meter);
}

function leave(periodMs: number, meter: CpuMeter): void {
  const clock = clocks.get(periodMs);
  if (clock === undefined || !clock.meters.delete(meter) || clock.meters.size > 0) return;
  clearInterval(clock.timer);
  clocks.delete(periodMs);
}

export class CpuMeter {
  readonly #isolate: ivm.Isolate;
  readonly #budgetNs: number;
  readonly #windowMs: number;
  readonly #periodMs: number;
  /** CPU clock (ns) at each of the last STEPS sample times, oldest first. */
  readonly #samples: number[] = [];
  readonly #over: (usedMs: number) => void;

  constructor(isolate: ivm.Isolate, budgetMs: number, windowMs: number, over: (usedMs: number) => void) {
    this.#isolate = isolate;
    this.#budgetNs = budgetMs * 1e6;
    this.#windowMs = windowMs;
    this.#over = over;
    this.#samples.push(0);
    this.#periodMs = Math.max(10, windowMs / STEPS);
    join(this.#periodMs, this);
  }

  /** @internal Called by the shared clock of its period. */
  sample(): void {
    if (this.#isolate.isDisposed) {
      this.stop();
      return;
    }
    let now: number;
    try {
      now = Number(this.#isolate.cpuTime);
    } catch {
      this.stop();
      return;
    }
    this.#samples.push(now);
    if (this.#samples.length > STEPS + 1) this.#samples.shift();
    const used = now - this.#samples[0]!;
    if (used > this.#budgetNs) {
      this.stop();
      this.#over(used / 1e6);
    }
  }

  stop(): void {
    leave(this.#periodMs, this);
  }

  get windowMs(): number {
    return this.#windowMs;
  }
}

export function cpuBudgetError(moduleId: string, version: string, usedMs: number, budgetMs: number, windowMs: number): HotmodError {
  return new HotmodError(
    SandboxErrorCode.CPU_BUDGET,
    `module '${moduleId}@${version}' used ${Math.round(usedMs)} ms of CPU in ${windowMs} ms, over its budget of ${budgetMs} ms (limits.cpuBudgetMs per limits.cpuWindowMs); it was stopped so that the other modules can run. Find what keeps it busy (a timer that re-arms itself, a loop of calls) or raise the budget`,
    { moduleId, version, usedMs: Math.round(usedMs), cpuBudgetMs: budgetMs, cpuWindowMs: windowMs },
  );
}

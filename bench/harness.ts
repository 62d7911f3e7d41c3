/**
 * The benchmark harness. A benchmark is a file `bench/<name>.bench.ts` whose default
 * export is a `Benchmark`. Figures are reported against a baseline measured in the same
 * run (ratios), because the machine is shared and noisy; nothing here asserts a time.
 * A ratio's subject and baseline run interleaved: use `interleave({ a, b, rounds })` below
 * (medians and p25–p75 of both and of the ratio). Memory is measured in a fresh child
 * process per sample (bench/memory.bench.ts). docs/benchmarks.md explains every figure.
 */
import { performance } from 'node:perf_hooks';
import type { TargetKey } from './targets.js';

export interface BenchRow {
  [column: string]: string | number;
}

/**
 * One headline figure measured against a goal in bench/targets.ts. `npm run bench` gathers
 * every report's figures into one summary table (bench/results/summary.json with --json).
 */
export interface BenchFigure {
  /** Key into TARGETS (bench/targets.ts). */
  target: TargetKey;
  /** Measured value, in the target's unit (a ratio for 'x baseline'). */
  value: number;
  /** What the value was measured against, in words (e.g. "raw applySync, interleaved A/B, spread 0.97–1.04"). */
  baseline?: string;
}

export interface BenchReport {
  title: string;
  rows: BenchRow[];
  /** Free-form lines printed under the table (targets, notes). */
  notes?: string[];
  /** Headline figures for the summary table. */
  figures?: BenchFigure[];
}

export interface BenchContext {
  /** True for `--quick`: smaller sizes, for a smoke run. */
  quick: boolean;
  log(line: string): void;
}

export interface Benchmark {
  name: string;
  description: string;
  run(ctx: BenchContext): Promise<BenchReport[]>;
}

/** Runs `fn` until `minMs` have passed (after a warm-up) and returns nanoseconds per call. */
export async function nsPerOp(fn: () => unknown, opts: { minMs?: number; batch?: number; warmup?: number } = {}): Promise<number> {
  const minMs = opts.minMs ?? 500;
  const batch = opts.batch ?? 100;
  for (let i = 0; i < (opts.warmup ?? batch * 5); i++) await fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) await fn();
    ops += batch;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1e6) / ops;
}

/** Synchronous variant: no await per call, so it measures the call and not the microtask queue. */
export function nsPerOpSync(fn: () => unknown, opts: { minMs?: number; batch?: number } = {}): number {
  const minMs = opts.minMs ?? 500;
  const batch = opts.batch ?? 100;
  for (let i = 0; i < batch * 5; i++) fn();
  let ops = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    elapsed = performance.now() - start;
  }
  return (elapsed * 1e6) / ops;
}

/** Times one async operation in milliseconds. */
export async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx]!;
}

/** Median and interquartile range (p25–p75) of a set of samples. */
export interface Spread {
  median: number;
  p25: number;
  p75: number;
}

export function spreadOf(values: readonly number[]): Spread {
  const sorted = [...values].sort((x, y) => x - y);
  if (sorted.length === 0) return { median: NaN, p25: NaN, p75: NaN };
  return { median: quantile(sorted, 0.5), p25: quantile(sorted, 0.25), p75: quantile(sorted, 0.75) };
}

/** Linear-interpolated quantile of sorted samples (so the median of an even count is the mean of the middle two). */
function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** "1.23 (p25–p75 1.10–1.31)", for a baseline text or a note. */
export function formatSpread(s: Spread, digits = 2): string {
  return `${round(s.median, digits)} (p25–p75 ${round(s.p25, digits)}–${round(s.p75, digits)})`;
}

export interface Interleaved {
  /** The subject's samples (one per round), in the unit the round functions return. */
  a: Spread;
  /** The baseline's samples. */
  b: Spread;
  /** Per-round a / b: the figure a ratio target compares. */
  ratio: Spread;
  rounds: number;
}

/**
 * Interleaved A/B rounds: the subject `a` and its baseline `b` each measured once per
 * round, alternately first (A B, B A, A B, …), so that the machine's noise (a neighbour's
 * burst, a GC, a thermal step) falls on both alike instead of on whichever ran in its own
 * block. Each function returns one sample (ms, ns per op, …: the same unit for both).
 * Returns medians and p25–p75 of the subject, the baseline and the per-round ratio a / b.
 * Every ratio figure should come from here (or the same scheme): a baseline measured in
 * another block of the run can differ several-fold from the one beside the subject
 * (issue 17: raw applySync read 4 to 22 µs across suites of one run).
 */
export async function interleave(opts: {
  a: () => Promise<number> | number;
  b: () => Promise<number> | number;
  rounds: number;
  /** Rounds run first and thrown away (JIT, caches, lazy imports). Default 1. */
  warmup?: number;
}): Promise<Interleaved> {
  for (let i = 0; i < (opts.warmup ?? 1); i++) {
    await opts.a();
    await opts.b();
  }
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    let a: number;
    let b: number;
    if (r % 2 === 0) {
      a = await opts.a();
      b = await opts.b();
    } else {
      b = await opts.b();
      a = await opts.a();
    }
    as.push(a);
    bs.push(b);
    ratios.push(a / b);
  }
  return { a: spreadOf(as), b: spreadOf(bs), ratio: spreadOf(ratios), rounds: opts.rounds };
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function formatTable(report: BenchReport): string {
  if (report.rows.length === 0) return [`## ${report.title}`, ...(report.notes ?? [])].join('\n');
  const columns = [...new Set(report.rows.flatMap((r) => Object.keys(r)))];
  const cells = report.rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => '| ' + vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ') + ' |';
  const out = [`## ${report.title}`, line(columns), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)];
  for (const note of report.notes ?? []) out.push(note);
  return out.join('\n');
}

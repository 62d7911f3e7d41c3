/**
 * The benchmark harness. A benchmark is a file `bench/<name>.bench.ts` whose default
 * export is a `Benchmark`. Figures are reported against a baseline measured in the same
 * run (ratios), because the machine is shared and noisy; nothing here asserts a time.
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

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function formatTable(report: BenchReport): string {
  const columns = [...new Set(report.rows.flatMap((r) => Object.keys(r)))];
  const cells = report.rows.map((r) => columns.map((c) => String(r[c] ?? '')));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const line = (vals: string[]) => '| ' + vals.map((v, i) => v.padEnd(widths[i]!)).join(' | ') + ' |';
  const out = [`## ${report.title}`, line(columns), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...cells.map(line)];
  for (const note of report.notes ?? []) out.push(note);
  return out.join('\n');
}

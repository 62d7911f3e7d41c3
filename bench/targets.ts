/**
 * The goals, in one place: every benchmark reads its target from here, and docs/benchmarks.md
 * quotes this table. A target is the goal the project set, not a figure loosened to pass.
 */
export interface Target {
  readonly what: string;
  /** Upper bound, in `unit`. */
  readonly max: number;
  readonly unit: 'ms' | 's' | 'x baseline';
}

export const TARGETS = {
  resolve10k: { what: 'resolvePlan, 10,000 ids with alternatives (strict, cold index)', max: 200, unit: 'ms' },
  resolve100k: { what: 'resolvePlan, 100,000 ids with alternatives (strict, cold index)', max: 2000, unit: 'ms' },
  reresolve10k: { what: 're-resolve after one module changes, 10,000 ids', max: 10, unit: 'ms' },
  migrate100k: { what: 'migrate 100,000 clients (PostgreSQL, verification included)', max: 30, unit: 's' },
  invokeVsRaw: { what: 'client.invoke vs raw applySync', max: 1.25, unit: 'x baseline' },
} as const satisfies Record<string, Target>;

export function verdict(value: number, target: Target): string {
  return value <= target.max ? 'met' : 'NOT met';
}

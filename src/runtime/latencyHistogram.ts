/**
 * A fixed-bucket latency histogram cheap enough for the invoke hot path: one Math.log2,
 * one typed-array increment, no allocation. Buckets are quarter-powers of two of a
 * microsecond (≈19% wide), from 1 µs to about 67 s; percentiles report a bucket's upper
 * bound, so they are within one bucket of the truth.
 */
const BUCKETS_PER_OCTAVE = 4;
const BUCKET_COUNT = 26 * BUCKETS_PER_OCTAVE + 1;

export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKET_COUNT);
  #total = 0;
  #sumMs = 0;

  /** Records one observation in milliseconds. */
  record(ms: number): void {
    const us = ms * 1000;
    let i = us <= 1 ? 0 : Math.ceil(Math.log2(us) * BUCKETS_PER_OCTAVE);
    if (i >= BUCKET_COUNT) i = BUCKET_COUNT - 1;
    this.#counts[i]!++;
    this.#total++;
    this.#sumMs += ms;
  }

  get count(): number {
    return this.#total;
  }

  get sumMs(): number {
    return this.#sumMs;
  }

  /** The p-th percentile (0..100) in milliseconds, or 0 with no observations. */
  percentile(p: number): number {
    if (this.#total === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#total));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return bucketUpperMs(i);
    }
    return bucketUpperMs(BUCKET_COUNT - 1);
  }

  /** Cumulative counts at the given upper bounds (ms), for Prometheus. */
  cumulative(boundsMs: readonly number[]): number[] {
    const out: number[] = [];
    let seen = 0;
    let i = 0;
    for (const bound of boundsMs) {
      while (i < BUCKET_COUNT && bucketUpperMs(i) <= bound) seen += this.#counts[i++]!;
      out.push(seen);
    }
    return out;
  }

  /** Folds another histogram into this one (for per-module totals across capabilities). */
  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKET_COUNT; i++) this.#counts[i]! += other.#counts[i]!;
    this.#total += other.#total;
    this.#sumMs += other.#sumMs;
  }
}

function bucketUpperMs(i: number): number {
  return 2 ** (i / BUCKETS_PER_OCTAVE) / 1000;
}

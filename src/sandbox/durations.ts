/**
 * Durations handed to isolated-vm and to Node's timers. Node's timers hold a signed 32-bit
 * millisecond count: a longer delay (2**31), like NaN or a negative one, fires at once, so
 * a timeout meant to be long would expire immediately and one meant to bound a call would
 * not. Every duration that enters from outside is checked with isDuration and refused with
 * a coded error; internal sums are clamped with clampDelay.
 */
import { HotmodError } from '../errors.js';
import { SandboxErrorCode } from './errors.js';

/** The longest duration hotmod accepts anywhere (ms): Node's timer maximum, about 24.8 days. */
export const MAX_DURATION_MS = 2 ** 31 - 1;
export const MAX_TIMER_DELAY = MAX_DURATION_MS;

/** A finite number of milliseconds, above 0 and at most MAX_DURATION_MS. */
export function isDuration(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_DURATION_MS;
}

/** What is wrong with a duration, for messages. */
export function durationRule(value: unknown): string {
  return `must be a number of milliseconds above 0 and at most ${MAX_DURATION_MS}, got ${typeof value === 'number' ? String(value) : typeof value}`;
}

/** E_DURATION_INVALID for a per-call timeout (`what`: where it came from). */
export function invalidDuration(what: string, value: unknown, details: Record<string, unknown> = {}): HotmodError {
  return new HotmodError(SandboxErrorCode.DURATION_INVALID, `${what} ${durationRule(value)}; pass a timeout in that range`, {
    ...details,
    value: typeof value === 'number' ? String(value) : typeof value,
    max: MAX_DURATION_MS,
  });
}

/** A delay for setTimeout: whole-number-safe, within Node's range. */
export function clampDelay(ms: number): number {
  return ms > 1 ? Math.min(ms, MAX_DURATION_MS) : 1;
}

/** isolated-vm's `timeout`: whole milliseconds, at least 1. */
export function toTimeout(ms: number): number {
  return Math.min(Math.max(1, Math.ceil(ms)), MAX_DURATION_MS);
}

/** Durations handed to isolated-vm and to Node's timers. */

/** Node's timers hold a signed 32-bit millisecond count; a longer delay fires at once. */
export const MAX_TIMER_DELAY = 2 ** 31 - 1;

/** isolated-vm's `timeout`: whole milliseconds, at least 1. */
export function toTimeout(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}

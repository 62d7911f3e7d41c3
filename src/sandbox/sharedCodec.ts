/**
 * The shared results buffer ('sync' execution), both ends: the layout is defined here
 * once; the isolate's writer is source text built from these constants and interpolated
 * into the bridge (bridgeSource.ts), and the host's reader is below.
 *
 * Layout (Uint16Array): [0..1] used length (u16 units, after the header), [2] overflow
 * flag, [3] unused, then records [idLow, idHigh, kind char code, lenLow, lenHigh,
 * …payload UTF-16 code units]. A record that does not fit (or has a payload over
 * SHARED_MAX_PAYLOAD units) sets the overflow flag and goes to the bridge's outbox array,
 * which the host fetches with the `drain` entry.
 */

/** 64 KiB of UTF-16 code units. */
export const SHARED_UNITS = 32768;
export const SHARED_HEADER = 4;
const RECORD_HEAD = 5;
/** Longer payloads go through the overflow array: copying them there is cheaper than unit by unit. */
const SHARED_MAX_PAYLOAD = 4096;
/** Record kinds ('o' JSON value, 'u' undefined, 'e' module error, 'E' bridge error) by char code. */
const KIND_CODES = { o: 111, u: 117, e: 101, E: 69 } as const;
const KIND_BY_CODE: Record<number, string> = Object.fromEntries(Object.entries(KIND_CODES).map(([kind, code]) => [code, kind]));

/**
 * The isolate's writer, as bridge source: `writeShared(id, kind, payload)` returns false
 * when the record must go to the overflow array (the flag is set then). It expects
 * `shared` (the Uint16Array or null) and `used` (a `let`) in scope, and
 * String.prototype.charCodeAt pinned before module code runs (the bridge does that).
 */
export const SHARED_WRITER_SOURCE = `
const HEADER = ${SHARED_HEADER}, CAPACITY = shared === null ? 0 : shared.length, SHARED_MAX = ${SHARED_MAX_PAYLOAD};
function resetShared() {
  used = 0;
  shared[0] = 0; shared[1] = 0; shared[2] = 0;
}
function writeShared(id, kind, payload) {
  const length = payload.length, at = HEADER + used;
  if (length <= SHARED_MAX && at + ${RECORD_HEAD} + length <= CAPACITY && id >= 0 && id <= 0xffffffff) {
    shared[at] = id & 0xffff; shared[at + 1] = id >>> 16;
    shared[at + 2] = kind === 'o' ? ${KIND_CODES.o} : kind === 'u' ? ${KIND_CODES.u} : kind === 'e' ? ${KIND_CODES.e} : ${KIND_CODES.E};
    shared[at + 3] = length & 0xffff; shared[at + 4] = length >>> 16;
    // String.prototype.charCodeAt is pinned (see the bridge's top): this reaches the original.
    for (let i = 0, p = at + ${RECORD_HEAD}; i < length; i++, p++) shared[p] = payload.charCodeAt(i);
    used += ${RECORD_HEAD} + length;
    shared[0] = used & 0xffff; shared[1] = used >>> 16;
    return true;
  }
  shared[2] = 1;
  return false;
}
`;

/**
 * Reads the records the isolate wrote, calling `visit` for each; stops at the first
 * record that does not fit (the buffer is writable by the isolate, so lengths are
 * checked, not trusted). Returns whether the overflow flag was set, and clears it.
 */
export function readShared(shared: Uint16Array, text: Buffer, visit: (id: number, kind: string, payload: string) => void): boolean {
  const used = shared[0]! | (shared[1]! << 16);
  const end = Math.min(SHARED_HEADER + used, shared.length);
  let at = SHARED_HEADER;
  while (at + RECORD_HEAD <= end) {
    const id = (shared[at]! | (shared[at + 1]! << 16)) >>> 0;
    const kind = KIND_BY_CODE[shared[at + 2]!] ?? '?';
    const length = shared[at + 3]! | (shared[at + 4]! << 16);
    at += RECORD_HEAD;
    if (length < 0 || at + length > end) break;
    const payload = text.toString('utf16le', at * 2, (at + length) * 2);
    at += length;
    visit(id, kind, payload);
  }
  const overflow = shared[2] === 1;
  shared[2] = 0;
  return overflow;
}

/**
 * The one error type of hotmod's public API. Every part keeps its own codes in its
 * own `errors.ts`; docs/errors.md has one row per code (tests/errors-doc.test.ts keeps
 * them in step).
 */
/**
 * The codes a HotmodError may carry, as keys. The kernel imports no part, so each part
 * adds its own codes here by declaration merging, in its errors.ts:
 * `declare module '../errors.js' { interface HotmodErrorCodes extends Record<MyCode, true> {} }`.
 * A code no part declares (a typo) does not compile.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface, @typescript-eslint/no-empty-object-type
export interface HotmodErrorCodes {}

/** Every code of every part (docs/errors.md has a row for each). */
export type HotmodErrorCode = keyof HotmodErrorCodes & string;

export class HotmodError extends Error {
  override readonly name = 'HotmodError';
  /** Stable, documented code such as E_MANIFEST_INVALID. Switch on this, never on the message. */
  readonly code: HotmodErrorCode;
  /** Structured facts about the failure (file, JSON path, module id, …); JSON-serialisable. */
  readonly details: Record<string, unknown>;

  constructor(code: HotmodErrorCode, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = details;
  }

  toJSON(): { code: HotmodErrorCode; message: string; details: Record<string, unknown> } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

export function isHotmodError(value: unknown, code?: HotmodErrorCode): value is HotmodError {
  return value instanceof HotmodError && (code === undefined || value.code === code);
}

/** Wraps a foreign error where it enters hotmod, keeping the original as `cause`. */
export function wrapError(
  error: unknown,
  code: HotmodErrorCode,
  message: (reason: string) => string,
  details: Record<string, unknown> = {},
): HotmodError {
  if (error instanceof HotmodError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new HotmodError(code, message(reason), details, { cause: error });
}

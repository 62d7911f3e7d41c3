/**
 * What a throw out of an entry means: the call's timeout, the isolate gone (out of
 * memory, or disposed some other way), or an ordinary error (an unhandled rejection).
 */
import type ivm from 'isolated-vm';
import { HotmodError } from '../errors.js';
import { SandboxErrorCode } from './errors.js';

/** A timeout, a memory death or some other throw out of an entry, sorted. */
export type EntryFailure = { kind: 'timeout' } | { kind: 'fatal'; error: HotmodError } | { kind: 'disposed' } | { kind: 'other'; error: unknown };

const TIMED_OUT = 'Script execution timed out.';

export interface CrashSubject {
  moduleId: string;
  version: string;
  heapLimitBytes: number;
}

/** `sandboxDisposed`: the sandbox itself was disposed (its own choice, not a crash). */
export function classifyFailure(error: unknown, isolate: ivm.Isolate, sandboxDisposed: boolean, subject: CrashSubject): EntryFailure {
  if (sandboxDisposed) return { kind: 'disposed' };
  if (isolate.isDisposed) {
    const text = errorText(error);
    return {
      kind: 'fatal',
      error: /memory/i.test(text)
        ? memoryError(subject, text, error)
        : new HotmodError(SandboxErrorCode.CRASHED, `module '${subject.moduleId}@${subject.version}' isolate was disposed underneath the sandbox (${text}); the runtime reloads it`, { moduleId: subject.moduleId, version: subject.version }, { cause: error }),
    };
  }
  if (error instanceof Error && error.message === TIMED_OUT) return { kind: 'timeout' };
  return { kind: 'other', error };
}

export function memoryError(subject: CrashSubject, reason: string, cause?: unknown): HotmodError {
  const mb = subject.heapLimitBytes / 1024 / 1024;
  return new HotmodError(
    SandboxErrorCode.OUT_OF_MEMORY,
    `module '${subject.moduleId}@${subject.version}' ran out of memory (limit ${mb} MB): ${reason}; its isolate was disposed. Use less memory or raise limits.memoryMb`,
    { moduleId: subject.moduleId, version: subject.version, memoryMb: mb },
    cause === undefined ? undefined : { cause },
  );
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

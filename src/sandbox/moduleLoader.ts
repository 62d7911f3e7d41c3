/**
 * Compiles, instantiates (no imports) and evaluates a bundle in an isolate, then hands its
 * namespace to the bridge's `install` entry, which reports whether the top level ran to
 * its end and whether `activate` is exported.
 */
import type ivm from 'isolated-vm';
import { HotmodError } from '../errors.js';
import { EVALUATED_SUFFIX } from './bridgeSource.js';
import { errorText, type EntryFailure } from './crash.js';
import { SandboxErrorCode } from './errors.js';
import { moduleThrew } from './moduleErrors.js';
import type { SandboxOptions } from './types.js';
import { toTimeout } from './durations.js';
import { explainMissingGlobal } from './webGlobals/index.js';
import { registerSourceMap } from './sourceMaps.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- isolated-vm's generic Reference typing
type EntryRef = ivm.Reference<any>;

export function loadModule(isolate: ivm.Isolate, context: ivm.Context, install: EntryRef, options: SandboxOptions, classify: (error: unknown) => EntryFailure): ivm.Module {
  const { moduleId, version, filename, code, limits } = options;
  const subject = `module '${moduleId}@${version}' (${filename})`;
  let mod: ivm.Module;
  registerSourceMap(filename, code);
  try {
    // The suffix (one export, after the last line) lets the bridge see whether the top level ran to its end.
    mod = isolate.compileModuleSync(code + EVALUATED_SUFFIX, { filename });
  } catch (error) {
    throw new HotmodError(
      SandboxErrorCode.COMPILE_FAILED,
      `${subject} failed to compile: ${errorText(error)}; fix the syntax error, or rebuild the bundle with hotmod build`,
      { moduleId, version, filename },
      { cause: error },
    );
  }
  const imports = mod.dependencySpecifiers;
  if (imports.length > 0) {
    mod.release();
    throw importError(subject, imports, { moduleId, version, filename });
  }
  try {
    mod.instantiateSync(context, (specifier) => {
      throw importError(subject, [specifier], { moduleId, version, filename });
    });
  } catch (error) {
    mod.release();
    throw error instanceof HotmodError
      ? error
      : new HotmodError(SandboxErrorCode.COMPILE_FAILED, `${subject} failed to link: ${errorText(error)}; rebuild the bundle with hotmod build`, { moduleId, version, filename }, { cause: error });
  }
  try {
    mod.evaluateSync({ timeout: toTimeout(limits.activateTimeoutMs) });
  } catch (error) {
    mod.release();
    const failure = classify(error);
    if (failure.kind === 'fatal') throw failure.error;
    if (failure.kind === 'timeout') {
      throw new HotmodError(
        SandboxErrorCode.ACTIVATE_TIMEOUT,
        `${subject} did not finish evaluating its top-level code within ${limits.activateTimeoutMs} ms; move long work out of the top level or raise limits.activateTimeoutMs`,
        { moduleId, version, filename, timeoutMs: limits.activateTimeoutMs },
      );
    }
    const thrown = moduleThrew({ moduleId, version, phase: 'activate' }, JSON.stringify(thrownInfo(error)));
    throw new HotmodError(
      SandboxErrorCode.EVALUATE_FAILED,
      `${subject} threw while evaluating its top-level code: ${explainMissingGlobal((error as Error)?.name, errorText(error))}; fix the module's top-level code`,
      { ...thrown.details, filename },
      { cause: error },
    );
  }
  const namespace = mod.namespace;
  const shape = JSON.parse(install.applySync(undefined, [namespace.derefInto()], { timeout: 1000 }) as string) as { evaluated: boolean; hasActivate: boolean };
  namespace.release();
  install.release();
  if (!shape.evaluated) {
    mod.release();
    throw new HotmodError(
      SandboxErrorCode.EVALUATE_FAILED,
      `${subject} did not finish evaluating its top-level code: a top-level await was still waiting (on a timer, a capability, or a promise that never settles); do asynchronous setup inside activate, which may await within limits.activateTimeoutMs`,
      { moduleId, version, filename, pendingTopLevelAwait: true },
    );
  }
  if (!shape.hasActivate) {
    mod.release();
    throw new HotmodError(
      SandboxErrorCode.NO_ACTIVATE,
      `${subject} does not export an activate function; add \`export async function activate(ctx) { return { … } }\``,
      { moduleId, version, filename },
    );
  }
  return mod;
}

function importError(subject: string, specifiers: readonly string[], details: Record<string, unknown>): HotmodError {
  return new HotmodError(
    SandboxErrorCode.IMPORT_NOT_ALLOWED,
    `${subject} imports ${specifiers.map((s) => `'${s}'`).join(', ')}, but a sandboxed module must be one self-contained ES module; bundle it with hotmod build`,
    { ...details, imports: [...specifiers] },
  );
}

function thrownInfo(error: unknown): Record<string, unknown> {
  if (error instanceof Error) return { thrown: 'object', name: error.name, message: error.message, stack: error.stack };
  return { thrown: typeof error, message: `a non-Error value was thrown: ${String(error)}` };
}

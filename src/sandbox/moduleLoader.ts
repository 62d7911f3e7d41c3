/**
 * Compiles, instantiates (no imports) and evaluates a bundle in an isolate, then hands its
 * namespace to the bridge's `install` entry, which reports whether the top level ran to
 * its end and whether `activate` is exported. A bundle in `hotmod build`'s shape compiles
 * as the equivalent script, from its code cache when there is one (codeCache.ts).
 */
import type ivm from 'isolated-vm';
import { keepCompiled, type CompilePlan } from './codeCache.js';

type ScriptPlan = NonNullable<CompilePlan['script']>;
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

/** `bridge`: the bridge's dispatcher (isolateSetup.ts), whose 'install' entry takes the namespace. */
/** `script`: the bundle already compiled as its equivalent script (compileBundle), else it is compiled here as a module. */
export function loadModule(isolate: ivm.Isolate, context: ivm.Context, bridge: EntryRef, options: SandboxOptions, script: ivm.Script | undefined, classify: (error: unknown) => EntryFailure): { release(): void } {
  const { moduleId, version, filename, code } = options;
  const subject = `module '${moduleId}@${version}' (${filename})`;
  registerSourceMap(filename, code);
  const compiled = script ? runScript(script, context, options, subject, classify) : compileModule(isolate, context, options, subject, classify);
  const namespace = compiled.namespace;
  let shape: { evaluated: boolean; hasActivate: boolean };
  try {
    shape = JSON.parse(bridge.applySync(undefined, ['install', namespace.derefInto()], { timeout: 1000 }) as string) as typeof shape;
  } finally {
    namespace.release();
  }
  const handle = compiled.handle;
  if (!shape.evaluated) {
    handle.release();
    throw new HotmodError(
      SandboxErrorCode.EVALUATE_FAILED,
      `${subject} did not finish evaluating its top-level code: a top-level await was still waiting (on a timer, a capability, or a promise that never settles); do asynchronous setup inside activate, which may await within limits.activateTimeoutMs`,
      { moduleId, version, filename, pendingTopLevelAwait: true },
    );
  }
  if (!shape.hasActivate) {
    handle.release();
    throw new HotmodError(
      SandboxErrorCode.NO_ACTIVATE,
      `${subject} does not export an activate function; add \`export async function activate(ctx) { return { … } }\``,
      { moduleId, version, filename },
    );
  }
  return handle;
}

interface Compiled {
  /** Released at dispose. */
  handle: { release(): void };
  /** The exports (a module namespace, or the script's exports object). */
  namespace: ivm.Reference<unknown>;
}

type CompiledScript = ivm.Script & ivm.CachedDataResult & { cachedDataRejected?: boolean };

function bundleCompileOptions(options: SandboxOptions, plan: ScriptPlan): ivm.ScriptOrigin & ivm.CachedDataOptions {
  // The wrapper's first line is taken back (codeCache.ts asScript). With cachedData,
  // produceCachedData makes V8 produce new data only when it rejects the given one.
  return { filename: options.filename, lineOffset: -1, produceCachedData: true, ...(plan.cachedData ? { cachedData: plan.cachedData } : {}) };
}

function keepBundleCode(script: CompiledScript, options: SandboxOptions, plan: ScriptPlan): ivm.Script {
  keepCompiled(plan.key, script.cachedData, script.cachedDataRejected === true, options.codeCache);
  return script;
}

/**
 * The bundle as its equivalent script (codeCache.ts), from the cached code when there is
 * one; undefined when it does not compile as one (then it loads as a module, whose compile
 * reports the syntax error if there is one).
 */
export function compileBundleSync(isolate: ivm.Isolate, options: SandboxOptions, plan: ScriptPlan): ivm.Script | undefined {
  try {
    return keepBundleCode(isolate.compileScriptSync(plan.text, bundleCompileOptions(options, plan)) as CompiledScript, options, plan);
  } catch {
    return undefined;
  }
}

/** compileBundleSync on the isolate's own thread. */
export async function compileBundle(isolate: ivm.Isolate, options: SandboxOptions, plan: ScriptPlan): Promise<ivm.Script | undefined> {
  try {
    return keepBundleCode((await isolate.compileScript(plan.text, bundleCompileOptions(options, plan))) as CompiledScript, options, plan);
  } catch {
    return undefined;
  }
}

function runScript(script: ivm.Script, context: ivm.Context, options: SandboxOptions, subject: string, classify: (error: unknown) => EntryFailure): Compiled {
  let namespace: ivm.Reference<unknown>;
  try {
    namespace = script.runSync(context, { reference: true, timeout: toTimeout(options.limits.activateTimeoutMs) }) as ivm.Reference<unknown>;
  } catch (error) {
    script.release();
    throw evaluationError(error, options, subject, classify);
  }
  return { handle: script, namespace };
}

function compileModule(isolate: ivm.Isolate, context: ivm.Context, options: SandboxOptions, subject: string, classify: (error: unknown) => EntryFailure): Compiled {
  const { moduleId, version, filename, code, limits } = options;
  let mod: ivm.Module;
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
    throw evaluationError(error, options, subject, classify);
  }
  return { handle: mod, namespace: mod.namespace };
}

/** What the bundle's top-level code threw, stopped or crashed with, as the coded error. */
function evaluationError(error: unknown, options: SandboxOptions, subject: string, classify: (error: unknown) => EntryFailure): HotmodError {
  const { moduleId, version, filename, limits } = options;
  const failure = classify(error);
  if (failure.kind === 'fatal') return failure.error;
  if (failure.kind === 'timeout') {
    return new HotmodError(
      SandboxErrorCode.ACTIVATE_TIMEOUT,
      `${subject} did not finish evaluating its top-level code within ${limits.activateTimeoutMs} ms; move long work out of the top level or raise limits.activateTimeoutMs`,
      { moduleId, version, filename, timeoutMs: limits.activateTimeoutMs },
    );
  }
  const thrown = moduleThrew({ moduleId, version, phase: 'activate' }, JSON.stringify(thrownInfo(error)));
  return new HotmodError(
    SandboxErrorCode.EVALUATE_FAILED,
    `${subject} threw while evaluating its top-level code: ${explainMissingGlobal((error as Error)?.name, errorText(error))}; fix the module's top-level code`,
    { ...thrown.details, filename },
    { cause: error },
  );
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

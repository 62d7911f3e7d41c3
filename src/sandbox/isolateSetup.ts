/**
 * Everything a module isolate gets before its bundle, made by one script: the bridge
 * (bridgeSource.ts) and the web globals (webGlobals/), in one setup function. The script
 * is compiled once per process with a V8 code cache, and every further isolate compiles it
 * from that cache; running it yields `setup`, and one applySync of `setup` with the
 * isolate's own arguments builds the bridge, binds the globals (lazily: webGlobals/) and
 * returns the bridge's entries. So a new isolate pays one cached compile, one run and one
 * call, instead of compiling the bridge's and the globals' source each time.
 */
import { createHash } from 'node:crypto';
import ivm from 'isolated-vm';
import { BRIDGE_FILENAME, BRIDGE_SOURCE } from './bridgeSource.js';
import { CODE_CACHE_ENGINE, frame, unframe } from './codeCache.js';
import type { CompilePlan } from './codeCache.js';
import { compileBundle, compileBundleSync } from './moduleLoader.js';
import type { CodeCacheStore, SandboxOptions } from './types.js';
import { webGlobalsSource } from './webGlobals/index.js';

let source: string | undefined;
let cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
let key: string | undefined;
let fromStore: Promise<void> | undefined;

/** The setup script's key in a code cache store: 's-' (the runtime keeps it once per catalog), its sha256, the engine. */
export function setupCacheKey(): string {
  return (key ??= `s-${createHash('sha256').update(setupSource()).digest('hex')}-${CODE_CACHE_ENGINE}`);
}

/**
 * Before the first isolate of a process: the setup script's compiled code from `store`
 * (written by an earlier process), so that even the first isolate compiles from a cache.
 * Tried once per process; never throws.
 */
export function loadSetupCache(store: CodeCacheStore | undefined): Promise<void> {
  if (cachedData !== undefined || store === undefined || !setupSwitches.codeCache) return Promise.resolve();
  return (fromStore ??= (async () => {
    const bytes = unframe(setupCacheKey(), await store.read(setupCacheKey()).catch(() => undefined));
    if (bytes !== undefined && cachedData === undefined) cachedData = new ivm.ExternalCopy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  })());
}

/** The setup script's text (for tests: the leak test accounts for its copies). */
export function setupSource(): string {
  return (source ??= `(function () {
'use strict';
const makeBridge = (function ($0, $1, $2, $3, $4, $5, $6, $7, $8) {${eagerly(BRIDGE_SOURCE)}});
const webGlobals = ${webGlobalsSource()};
return (function setup(host, moduleId, version, canLog, canTime, maxPayload, maxTimers, shared, evaluatedExport, webHost, canFetch, timeOrigin, globals, lazy) {
  const entries = makeBridge(host, moduleId, version, canLog, canTime, maxPayload, maxTimers, shared, evaluatedExport);
  if (globals) webGlobals()(webHost, canLog, canTime, canFetch, entries.fetch, timeOrigin, lazy);
  const install = entries.install, activate = entries.activate, deactivate = entries.deactivate, settleOut = entries.settleOut, fireTimer = entries.fireTimer, drain = entries.drain;
  // Every entry but call, by name: one Reference for the host to hold instead of six.
  const dispatch = (function dispatch(name, a, b, c) {
    switch (name) {
      case 'install': return install(a);
      case 'activate': return activate(a, b, c);
      case 'deactivate': return deactivate(a);
      case 'settleOut': return settleOut(a, b, c);
      case 'fireTimer': return fireTimer(a);
      case 'drain': return drain();
      default: throw new TypeError('unknown bridge entry ' + name);
    }
  });
  return { call: entries.call, dispatch };
});
})()`);
}

/**
 * V8 compiles a function lazily, at its first call, unless it is a parenthesized function
 * expression ("PIFE"), which it compiles with the script; and the code cache holds only
 * what was compiled with the script. So the bridge's functions, all called by the first
 * activate and call, are turned from `function f(…) {…}` at the top level and `name(…) {…}`
 * entry methods into `const f = (function f(…) {…});` and `name: (function name(…) {…})`:
 * they come from the cache compiled, instead of being parsed and compiled again in every
 * isolate. (`const`: the bindings stay constant, as declarations are never reassigned
 * either. None is called before its definition runs; the one declared after the bridge's
 * `return` stays a declaration.) The setup function and the dispatcher above, and the web
 * globals' bind path (webGlobals/isolateRuntime.js), are parenthesized by hand for the same
 * reason: each runs in every isolate, and compiled lazily each was parsed again there
 * (bind alone cost ~0.1 ms more per isolate).
 */
export function eagerly(bridge: string): string {
  return bridge
    .replace(/^function (\w+)\(([^)\n]*)\) \{(.*\}$|$[\s\S]*?^\}$)/gm, (whole, name: string, params: string, rest: string) =>
      name === 'ignoreValue' ? whole : `const ${name} = (function ${name}(${params}) {${rest});`,
    )
    .replace(/^ {2}(\w+)\(([^)\n]*)\) \{$([\s\S]*?)^ {2}\},$/gm, '  $1: (function $1($2) {$3}),');
}

/**
 * @internal For the benches only: whether isolates reuse the setup script's code cache, and
 * whether concurrent creates prepare their isolates on the isolates' threads.
 */
export const setupSwitches = { codeCache: true, parallel: true };

type CompiledScript = ivm.Script & ivm.CachedDataResult & { cachedDataRejected?: boolean };

function setupCompileOptions(): ivm.ScriptOrigin & ivm.CachedDataOptions {
  const cache = setupSwitches.codeCache ? cachedData : undefined;
  // With cachedData, produceCachedData makes V8 produce new data only when it rejects the given one.
  return { filename: BRIDGE_FILENAME, produceCachedData: true, ...(cache ? { cachedData: cache } : {}) };
}

/** Code V8 produced (no cache yet, or the one given was rejected) becomes the process's cache and goes to `store`. */
function keepSetupCode(script: CompiledScript, store: CodeCacheStore | undefined): ivm.Script {
  if (script.cachedData !== undefined && setupSwitches.codeCache) {
    cachedData = script.cachedData;
    if (store !== undefined) {
      try {
        store.write(setupCacheKey(), frame(setupCacheKey(), new Uint8Array(script.cachedData.copy())));
      } catch {
        // Best effort: the next process compiles from source once.
      }
    }
  }
  return script;
}

/** A new isolate, its context, and the setup script and the bundle compiled in it, not yet run. */
export interface PreparedIsolate {
  isolate: ivm.Isolate;
  context: ivm.Context;
  setup: ivm.Script;
  /** The bundle as its equivalent script (codeCache.ts), or undefined: it loads as a module. */
  bundle: ivm.Script | undefined;
}

/**
 * Makes the isolate and compiles what it will run. `parallel` (other creates are in
 * flight): the context and both compiles go to the isolate's own thread (isolated-vm's
 * async calls), so that the host thread makes the next module's isolate meanwhile; alone,
 * everything runs synchronously, which spares the thread hops.
 */
export async function prepareIsolate(options: SandboxOptions, memoryMb: number, plan: CompilePlan, parallel: boolean): Promise<PreparedIsolate> {
  const isolate = new ivm.Isolate({ memoryLimit: memoryMb });
  try {
    const store = options.codeCache;
    if (!parallel || !setupSwitches.parallel) {
      const context = isolate.createContextSync();
      const setup = keepSetupCode(isolate.compileScriptSync(setupSource(), setupCompileOptions()) as CompiledScript, store);
      return { isolate, context, setup, bundle: plan.script && compileBundleSync(isolate, options, plan.script) };
    }
    const [context, setup, bundle] = await Promise.all([
      isolate.createContext(),
      isolate.compileScript(setupSource(), setupCompileOptions()).then((script) => keepSetupCode(script as CompiledScript, store)),
      plan.script && compileBundle(isolate, options, plan.script),
    ]);
    return { isolate, context, setup, bundle };
  } catch (error) {
    isolate.dispose();
    throw error;
  }
}

/** Runs the compiled setup script in `context` (releasing the script): the setup function. */
export function runSetup(setup: ivm.Script, context: ivm.Context, timeoutMs: number): ivm.Reference<unknown> {
  try {
    return setup.runSync(context, { reference: true, timeout: timeoutMs }) as ivm.Reference<unknown>;
  } finally {
    setup.release();
  }
}


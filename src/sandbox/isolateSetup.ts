/**
 * Everything a module isolate gets before its bundle, made by one script: the bridge
 * (bridgeSource.ts) and the web globals (webGlobals/), in one setup function. The script
 * is compiled once per process with a V8 code cache, and every further isolate compiles it
 * from that cache; running it yields `setup`, and one applySync of `setup` with the
 * isolate's own arguments builds the bridge, binds the globals (lazily: webGlobals/) and
 * returns the bridge's entries. So a new isolate pays one cached compile, one run and one
 * call, instead of compiling the bridge's and the globals' source each time.
 */
import ivm from 'isolated-vm';
import { BRIDGE_FILENAME, BRIDGE_SOURCE } from './bridgeSource.js';
import { webGlobalsSource } from './webGlobals/index.js';

let source: string | undefined;
let cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;

/** The setup script's text (for tests: the leak test accounts for its copies). */
export function setupSource(): string {
  return (source ??= `(function () {
'use strict';
const makeBridge = (function ($0, $1, $2, $3, $4, $5, $6, $7, $8) {${eagerly(BRIDGE_SOURCE)}});
const webGlobals = ${webGlobalsSource()};
return function setup(host, moduleId, version, canLog, canTime, maxPayload, maxTimers, shared, evaluatedExport, webHost, canFetch, timeOrigin, globals, lazy) {
  const entries = makeBridge(host, moduleId, version, canLog, canTime, maxPayload, maxTimers, shared, evaluatedExport);
  if (globals) webGlobals()(webHost, canLog, canTime, canFetch, entries.fetch, timeOrigin, lazy);
  const install = entries.install, activate = entries.activate, deactivate = entries.deactivate, settleOut = entries.settleOut, fireTimer = entries.fireTimer, drain = entries.drain;
  // Every entry but call, by name: one Reference for the host to hold instead of six.
  const dispatch = function dispatch(name, a, b, c) {
    switch (name) {
      case 'install': return install(a);
      case 'activate': return activate(a, b, c);
      case 'deactivate': return deactivate(a);
      case 'settleOut': return settleOut(a, b, c);
      case 'fireTimer': return fireTimer(a);
      case 'drain': return drain();
      default: throw new TypeError('unknown bridge entry ' + name);
    }
  };
  return { call: entries.call, dispatch };
};
})()`);
}

/**
 * V8 compiles a function lazily, at its first call, unless it is a parenthesized function
 * expression ("PIFE"), which it compiles with the script; and the code cache holds only
 * what was compiled with the script. So the bridge's functions, all called by the first
 * activate and call, are turned from `function f(…) {…}` at the top level and `name(…) {…}`
 * entry methods into `var f = (function f(…) {…});` and `name: (function name(…) {…})`:
 * they come from the cache compiled, instead of being parsed and compiled again in every
 * isolate. (None is called before its definition runs; the one declared after the
 * bridge's `return` stays a declaration.)
 */
export function eagerly(bridge: string): string {
  return bridge
    .replace(/^function (\w+)\(([^)\n]*)\) \{(.*\}$|$[\s\S]*?^\}$)/gm, (whole, name: string, params: string, rest: string) =>
      name === 'ignoreValue' ? whole : `var ${name} = (function ${name}(${params}) {${rest});`,
    )
    .replace(/^ {2}(\w+)\(([^)\n]*)\) \{$([\s\S]*?)^ {2}\},$/gm, '  $1: (function $1($2) {$3}),');
}

/** @internal For the benches only: whether isolates reuse the setup script's code cache. */
export const setupSwitches = { codeCache: true };

/** Compiles the setup script in `isolate` (from the process's code cache when there is one) and runs it in `context`: the setup function. */
export function setupFunction(isolate: ivm.Isolate, context: ivm.Context, timeoutMs: number): ivm.Reference<unknown> {
  const text = setupSource();
  const cache = setupSwitches.codeCache ? cachedData : undefined;
  // isolated-vm sets these on the script; its typings leave them out.
  const script = (cache ? isolate.compileScriptSync(text, { filename: BRIDGE_FILENAME, cachedData: cache }) : isolate.compileScriptSync(text, { filename: BRIDGE_FILENAME, produceCachedData: true })) as ivm.Script &
    ivm.CachedDataResult & { cachedDataRejected?: boolean };
  if (cache === undefined && script.cachedData) cachedData = script.cachedData;
  else if (script.cachedDataRejected === true) cachedData = undefined;
  try {
    return script.runSync(context, { reference: true, timeout: timeoutMs }) as ivm.Reference<unknown>;
  } finally {
    script.release();
  }
}

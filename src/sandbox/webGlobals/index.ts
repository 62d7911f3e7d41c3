/**
 * The web-standard globals of every module isolate (TextEncoder, URL, crypto, console, …;
 * the list and what is absent: docs/module-authoring.md). They are implemented inside the
 * isolate (isolateRuntime.js, webUrl.js, webFetch.js); what needs the host (random bytes,
 * digests, a monotonic clock, console lines) goes through one ivm.Callback of primitives
 * (`webGlobalsHost`), held in the isolate's closure only, never on a global.
 *
 * Their source is part of the isolate's setup script (../isolateSetup.ts), compiled once
 * per process with a V8 code cache. They are lazy: bound in every isolate, built on the
 * first touch of any of them (isolateRuntime.js). A startup snapshot was tried and is not
 * used: isolates made from one abort the whole process in V8 ("Check failed:
 * (backing_store) != nullptr") when an isolate runs out of memory and in
 * tests/legacy-bridge/propagation.test.ts (isolated-vm 6.2, Node 24).
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import ivm from 'isolated-vm';
import type { LogLevel, SandboxOptions } from '../types.js';

function loadSource(): string {
  const read = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
  const runtime = read('./isolateRuntime.js');
  const marker = '/*@URL@*/';
  if (!runtime.includes(marker)) throw new Error('webGlobals: isolateRuntime.js lost its URL marker');
  const fetchMarker = '/*@FETCH@*/';
  if (!runtime.includes(fetchMarker)) throw new Error('webGlobals: isolateRuntime.js lost its FETCH marker');
  return runtime.replace(marker, () => read('./webUrl.js')).replace(fetchMarker, () => read('./webFetch.js'));
}

let source: string | undefined;

/** The globals' source: one function expression (isolateRuntime.js), spliced into the setup script. */
export function webGlobalsSource(): string {
  return (source ??= loadSource());
}

/**
 * @internal For the benches only: `enabled: false` makes isolates without the globals (the
 * baseline of webGlobalsCreateCost); `lazy: false` builds them all in every isolate.
 */
export const benchSwitches = { enabled: true, lazy: true };

/** Console lines per module: a burst of this many, refilled at this many per second. */
export const CONSOLE_BURST = 200;
export const CONSOLE_PER_SECOND = 100;
const DIGESTS = new Set(['sha1', 'sha256', 'sha384', 'sha512']);
const MAX_RANDOM = 65536;

/** Console lines into the module's log, rate-limited: what goes over is counted and reported once it can be. */
class ConsoleSink {
  #tokens = CONSOLE_BURST;
  #last = performance.now();
  #dropped = 0;
  constructor(readonly log: (level: LogLevel, message: string, data?: unknown) => void) {}
  write(level: string, text: string): void {
    if (level !== 'info' && level !== 'warn' && level !== 'error') return;
    const now = performance.now();
    this.#tokens = Math.min(CONSOLE_BURST, this.#tokens + ((now - this.#last) / 1000) * CONSOLE_PER_SECOND);
    this.#last = now;
    if (this.#tokens < 1) {
      this.#dropped++;
      return;
    }
    this.#tokens--;
    try {
      if (this.#dropped > 0) {
        this.log('warn', `console: ${this.#dropped} line(s) dropped, over the limit of ${CONSOLE_PER_SECOND} a second (burst ${CONSOLE_BURST})`, { source: 'console', dropped: this.#dropped });
        this.#dropped = 0;
      }
      this.log(level, String(text), { source: 'console' });
    } catch {
      // A throwing logger must not break the module.
    }
  }
}

/** The host end of the globals in one isolate: random bytes, digests, the clock, console lines into the module's log. */
export function webGlobalsHost(options: Pick<SandboxOptions, 'log'>): ivm.Callback {
  const sink = new ConsoleSink(options.log);
  return new ivm.Callback((op: unknown, a: unknown, b: unknown): string | number | undefined => {
    switch (op) {
      case 'random': {
        const n = typeof a === 'number' && a > 0 ? Math.min(Math.floor(a), MAX_RANDOM) : 0;
        return randomBytes(n).toString('latin1');
      }
      case 'digest':
        if (typeof a !== 'string' || !DIGESTS.has(a) || typeof b !== 'string') throw new TypeError('crypto.subtle.digest: bad arguments');
        return createHash(a).update(Buffer.from(b, 'latin1')).digest().toString('latin1');
      case 'now':
        // Coarsened to 100 µs (as browsers do against timing attacks).
        return Math.floor(performance.now() * 10) / 10;
      case 'console':
        sink.write(a as string, typeof b === 'string' ? b : String(b));
        return undefined;
      default:
        throw new TypeError('unknown web-globals operation');
    }
  });
}

/** performance.timeOrigin inside the isolate: the host's, coarsened to 1 ms. */
export function webTimeOrigin(): number {
  return Math.round(performance.timeOrigin);
}

/** Node-only names a module may reach for, with what to use instead. */
const NODE_ONLY: Record<string, string> = {
  process: "there is no process: configuration comes in ctx.config and per-call settings in call.settings; for the environment ask the host through a capability",
  require: 'modules are ES modules bundled by hotmod build: use import, and bundle the dependency (it must not need Node builtins)',
  Buffer: 'use Uint8Array with TextEncoder/TextDecoder, and atob/btoa for base64',
  fs: 'there is no file system in the sandbox: read files through a capability the host provides, or ship the data in the bundle (import it)',
  __dirname: 'there is no file system in the sandbox; ship data in the bundle (import it)',
  __filename: 'there is no file system in the sandbox; ship data in the bundle (import it)',
  global: 'use globalThis',
  setImmediate: "use queueMicrotask, or setTimeout(fn, 0) with the 'timers' permission",
  setTimeout: "add \"timers\" to the manifest's permissions",
  setInterval: "add \"timers\" to the manifest's permissions",
  fetch: 'add "fetch" to the manifest\'s permissions and the origins it may reach to "fetch": { "origins": ["https://api.example.com"] }',
};

/**
 * A ReferenceError for a Node-only (or ungranted) name, explained: "process is not
 * defined" becomes "process is not defined: a Node-only API absent from the sandbox; …".
 */
export function explainMissingGlobal(name: string | undefined, message: string): string {
  if (name !== 'ReferenceError') return message;
  const match = /^(\w+) is not defined$/.exec(message);
  const hint = match ? NODE_ONLY[match[1]!] : undefined;
  if (hint === undefined) return message;
  const what =
    match![1] === 'setTimeout' || match![1] === 'setInterval' ? 'a timer API the module was not granted' : match![1] === 'fetch' ? 'an API the module was not granted' : 'a Node-only API absent from the sandbox';
  return `${message}: ${what}; ${hint} (docs/module-authoring.md lists the globals a module has)`;
}

/**
 * Issue 15.1: the web globals are built on first touch (src/sandbox/webGlobals/isolateRuntime.js).
 * Whatever a module does first (read, typeof, assign, delete, reach one global through
 * another), it sees what it would see with every global built up front.
 */
import { describe, expect, it } from 'vitest';
import type { Permission } from '../../src/registry/index.js';
import { benchSwitches } from '../../src/sandbox/webGlobals/index.js';
import { evalSandboxes } from './support.js';

const sandbox = evalSandboxes();

const NAMES = [
  'DOMException', 'TextEncoder', 'TextDecoder', 'btoa', 'atob', 'structuredClone', 'queueMicrotask', 'performance', 'crypto', 'Crypto', 'SubtleCrypto', 'console',
  'Event', 'CustomEvent', 'EventTarget', 'AbortSignal', 'AbortController', 'URL', 'URLSearchParams', 'Headers', 'Request', 'Response', 'fetch',
];

/** What a module can observe of one global once it touched it. */
const shapeOf = (name: string) => `(() => {
  const value = globalThis[${JSON.stringify(name)}];
  const d = Object.getOwnPropertyDescriptor(globalThis, ${JSON.stringify(name)});
  const proto = typeof value === 'function' && value.prototype ? Object.getOwnPropertyNames(value.prototype).sort() : null;
  const own = value !== null && (typeof value === 'object' || typeof value === 'function') ? Object.getOwnPropertyNames(value).sort() : null;
  return { type: typeof value, data: 'value' in d, writable: d.writable, enumerable: d.enumerable, configurable: d.configurable,
    name: typeof value === 'function' ? value.name : null, length: typeof value === 'function' ? value.length : null, proto, own,
    tag: Object.prototype.toString.call(value) };
})()`;

async function eagerSandbox(permissions: Permission[]) {
  benchSwitches.lazy = false;
  try {
    return await sandbox({ permissions });
  } finally {
    benchSwitches.lazy = true;
  }
}

describe('web globals: lazy, and the same on first touch', () => {
  it('each global, touched first in a fresh isolate, is what an isolate with every global built up front has', async () => {
    const permissions: Permission[] = ['log', 'timers', 'fetch'];
    const eager = await eagerSandbox([...permissions]);
    for (const name of NAMES) {
      const lazy = await sandbox({ permissions: [...permissions] });
      const first = await lazy.run(shapeOf(name));
      expect(first, name).toEqual(await eager.run(shapeOf(name)));
      expect((first as { data: boolean }).data, `${name} is a data property once touched`).toBe(true);
      await lazy.sandbox.dispose();
    }
  });

  it('before any touch the names are present but not enumerable, and fetch only with its permission', async () => {
    const s = await sandbox({ permissions: ['log'] });
    expect(await s.run(`[Object.keys(globalThis).filter((k) => ${JSON.stringify(NAMES)}.includes(k)), 'URL' in globalThis, 'fetch' in globalThis]`)).toEqual([[], true, false]);
    expect(await s.run(`typeof fetch`)).toBe('undefined');
  });

  it('a global assigned or deleted before the first touch stays as the module left it when the others are built', async () => {
    const s = await sandbox();
    expect(await s.run(`globalThis.URL = 42; delete globalThis.TextDecoder; [URL, typeof TextEncoder, typeof TextDecoder, URL, 'TextDecoder' in globalThis]`)).toEqual([42, 'function', 'undefined', 42, false]);
    expect(await s.run(`Object.getOwnPropertyDescriptor(globalThis, 'URL')`)).toEqual({ value: 42, writable: true, enumerable: false, configurable: true });
    // The globals' own code keeps its own classes: Response parses its url with the real URL, and decodes text with the real TextDecoder.
    expect(await s.runAsync(`new Response('h\\u00e9').text()`)).toBe('hé');
    expect(await s.run(`new Request('https://example.com/a/../b').url`)).toBe('https://example.com/b');
  });

  it('a module whose top-level code uses the globals loads and serves', async () => {
    const code = `const encoder = new TextEncoder();
const id = crypto.randomUUID();
export async function activate() { return { t: { run: () => [encoder.encode('hé').length, id.length, new URL('https://h/x?y=1').searchParams.get('y')] } }; }`;
    const s = await sandbox({ code });
    expect(await s.call('t', 'run')).toEqual([3, 36, '1']);
  });

  it('isolates do not share a build: one touching the globals leaves another untouched', async () => {
    const a = await sandbox();
    const b = await sandbox();
    await a.run(`new URL('https://h/')`);
    expect(await b.run(`'value' in Object.getOwnPropertyDescriptor(globalThis, 'URL')`)).toBe(false);
    expect(await a.run(`'value' in Object.getOwnPropertyDescriptor(globalThis, 'URL')`)).toBe(true);
  });
});

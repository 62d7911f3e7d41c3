/**
 * Issue 13.1: the web-standard globals inside a real isolate. Where Node has the same
 * global, the sandbox's answer is compared with Node's on the same input.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { evalSandboxes } from './support.js';

const sandbox = evalSandboxes();

const URL_INPUTS: [string, string?][] = [
  ['https://User:pw@EXAMPLE.com:443/a/./b/../c?x=1 2#f g'],
  ['http://example.com:8080/%7Efoo/bar%2Fbaz?q=a+b&r=%20#frag'],
  ['HTTP://example.COM/a\\b\\..\\c'],
  ['http://192.168.0.1.:80/'],
  ['http://0x7f.1/'],
  ['http://[2001:db8:0:0:0:0:2:1]:81/x'],
  ['http://[::1]/'],
  ['http://münchen.de/straße?ä=ö#ü'],
  ['ws://h/p?q'],
  ['file:///C:/dir/../file.txt'],
  ['file://localhost/etc/hosts'],
  ['mailto:someone@example.com?subject=hi there'],
  ['data:text/plain,hello world'],
  ['urn:isbn:0451450523'],
  ['foo://host:99/p/../q?x#y'],
  ['../up/one?x=1', 'http://h/a/b/c'],
  ['//other.host/p', 'https://h/a'],
  ['?only=query', 'http://h/a/b?old#frag'],
  ['#only-fragment', 'http://h/a/b?old#frag'],
  ['', 'http://h/a/b?old#frag'],
  ['/abs/./path/', 'http://h:81/a'],
  ['x/%2e%2E/y', 'http://h/a/'],
  ['http:relative', 'http://h/a/b'],
  ['blob:https://example.com/uuid'],
  ["https://h/it's?it's#it's"],
  ['https://h/{curly}/`tick`/"q"/<a>'],
];

function nodeUrlParts(input: string, base?: string) {
  const u = new URL(input, base);
  return { href: u.href, origin: u.origin, protocol: u.protocol, username: u.username, password: u.password, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash, params: [...u.searchParams] };
}
const sandboxUrlParts = `(input, base) => { const u = new URL(input, base); return { href: u.href, origin: u.origin, protocol: u.protocol, username: u.username, password: u.password, host: u.host, hostname: u.hostname, port: u.port, pathname: u.pathname, search: u.search, hash: u.hash, params: [...u.searchParams] }; }`;

describe('web-standard globals inside the isolate (issue 13.1)', () => {
  it('TextEncoder/TextDecoder agree with Node byte for byte, including lone surrogates, BOM, fatal and streaming', async () => {
    const s = await sandbox();
    const text = 'héllo 😀 \ud800 x \udfff 中文';
    expect(await s.run(`Array.from(new TextEncoder().encode(${JSON.stringify(text)}))`)).toEqual(Array.from(new TextEncoder().encode(text)));
    const bytes = [0xef, 0xbb, 0xbf, 0x61, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x62];
    expect(await s.run(`new TextDecoder().decode(new Uint8Array(${JSON.stringify(bytes)}))`)).toBe(new TextDecoder().decode(new Uint8Array(bytes)));
    expect(await s.run(`new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef,0xbb,0xbf,0x61]))`)).toBe(new TextDecoder('utf-8', { ignoreBOM: true }).decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])));
    expect(await s.run(`(() => { try { new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xc3])); return 'no'; } catch (e) { return e instanceof TypeError; } })()`)).toBe(true);
    // a 4-byte character split across two stream chunks
    expect(await s.run(`(() => { const d = new TextDecoder(); return d.decode(new Uint8Array([0x61, 0xf0, 0x9f]), { stream: true }) + d.decode(new Uint8Array([0x98, 0x80, 0x62])); })()`)).toBe('a😀b');
    expect(await s.run(`(() => { const r = new TextEncoder().encodeInto('a😀b', new Uint8Array(4)); return [r.read, r.written]; })()`)).toEqual([1, 1]);
    await expect(s.run(`new TextDecoder('latin1')`)).rejects.toThrow(/RangeError.*only utf-8/);
  });

  it('atob/btoa match Node, and refuse what the standard refuses with InvalidCharacterError', async () => {
    const s = await sandbox();
    const samples = ['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar', '\u00ff\u0000\u0080binary'];
    expect(await s.run(`${JSON.stringify(samples)}.map(btoa)`)).toEqual(samples.map((x) => btoa(x)));
    const encoded = ['Zm9v', 'Zm9vYg', 'Zm9vYg==', ' Zm 9v\nYmFy ', ''];
    expect(await s.run(`${JSON.stringify(encoded)}.map(atob)`)).toEqual(encoded.map((x) => atob(x)));
    expect(await s.run(`[() => btoa('€'), () => atob('Zm9v!'), () => atob('Z')].map((f) => { try { f(); return 'ok'; } catch (e) { return e.name + '/' + (e instanceof DOMException); } })`)).toEqual([
      'InvalidCharacterError/true',
      'InvalidCharacterError/true',
      'InvalidCharacterError/true',
    ]);
  });

  it('URL parses like Node (WHATWG) on special, non-special, relative, IPv4/IPv6, IDN and file URLs', async () => {
    const s = await sandbox();
    const ours = (await s.run(`(${sandboxUrlParts}) && ${JSON.stringify(URL_INPUTS)}.map(([i, b]) => (${sandboxUrlParts})(i, b))`)) as unknown[];
    URL_INPUTS.forEach(([input, base], i) => expect(ours[i], `${input} against ${base}`).toEqual(nodeUrlParts(input, base)));
    const bad = ['http://', 'http://a b/', 'http://[::1/', 'http://h:99999/', 'relative/only', 'http://1.2.3.4.5/', 'http://x@/'];
    expect(await s.run(`${JSON.stringify(bad)}.map((i) => URL.canParse(i))`)).toEqual(bad.map((i) => URL.canParse(i)));
    await expect(s.run(`new URL('relative/only')`)).rejects.toThrow(/TypeError: Invalid URL: 'relative\/only'/);
  });

  it('URL setters and URLSearchParams behave like Node', async () => {
    const s = await sandbox();
    const script = (U: typeof URL, P: typeof URLSearchParams) => {
      const u = new U('https://h.example/p?a=1&b=2#x');
      u.searchParams.append('c', 'd e&f');
      u.searchParams.delete('a');
      const afterParams = u.href;
      u.pathname = '/new path/ä';
      u.search = '?q=1&q=2';
      const q = u.searchParams.getAll('q');
      u.hash = 'frag ment';
      u.port = '8443';
      u.hostname = 'Other.Example';
      u.protocol = 'http';
      const p = new P({ z: '1', a: '2 3', 'é': '+' });
      p.sort();
      const fromPairs = new P([['x', '1'], ['x', '2']]);
      fromPairs.set('x', '3');
      return [afterParams, u.href, q, p.toString(), fromPairs.toString(), new P('?a=b+c&d=%zz&&e').toString(), [...new P('a=1&b=2').keys()], new P('a=1&a=2').size, JSON.stringify({ u })];
    };
    expect(await s.run(`(${script.toString()})(URL, URLSearchParams)`)).toEqual(script(URL, URLSearchParams));
  });

  it('structuredClone copies what the standard copies (cycles, Map, Set, Date, typed arrays, errors) and refuses functions', async () => {
    const s = await sandbox();
    const result = await s.run(`(() => {
      const o = { d: new Date(5), m: new Map([[1, { a: [1, 2] }]]), s: new Set(['x']), u: new Uint16Array([1, 2, 3]), r: /a+/gi, e: new RangeError('bad') };
      o.self = o;
      const c = structuredClone(o);
      return [c !== o, c.self === c, c.d instanceof Date && c.d.getTime(), c.m.get(1).a, [...c.s], Array.from(c.u), c.u instanceof Uint16Array, String(c.r), c.e instanceof RangeError, c.e.message, c.m.get(1) !== o.m.get(1)];
    })()`);
    expect(result).toEqual([true, true, 5, [1, 2], ['x'], [1, 2, 3], true, '/a+/gi', true, 'bad', true]);
    expect(await s.run(`(() => { try { structuredClone({ f() {} }); } catch (e) { return [e.name, e instanceof DOMException]; } })()`)).toEqual(['DataCloneError', true]);
  });

  it('queueMicrotask runs before the method settles; performance.now is monotonic and coarsened to 0.1 ms', async () => {
    const s = await sandbox();
    expect(await s.runAsync(`new Promise((resolve) => { const order = []; queueMicrotask(() => order.push('micro')); order.push('sync'); Promise.resolve().then(() => resolve(order)); })`)).toEqual(['sync', 'micro']);
    const times = (await s.run(`Array.from({ length: 200 }, () => performance.now())`)) as number[];
    for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThanOrEqual(times[i - 1]!);
    for (const t of times) expect(Math.round(t * 10) / 10).toBe(t);
    expect(await s.run(`typeof performance.timeOrigin === 'number' && performance.timeOrigin > 1.6e12`)).toBe(true);
  });

  it('crypto: getRandomValues fills integer arrays within 65536 bytes, randomUUID is v4, subtle.digest equals node:crypto for SHA-1/256/384/512', async () => {
    const s = await sandbox();
    const uuids = (await s.run(`Array.from({ length: 50 }, () => crypto.randomUUID())`)) as string[];
    for (const u of uuids) expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(new Set(uuids).size).toBe(50);
    const filled = (await s.run(`Array.from(crypto.getRandomValues(new Uint32Array(64)))`)) as number[];
    expect(new Set(filled).size).toBeGreaterThan(60);
    expect(await s.run(`[() => crypto.getRandomValues(new Uint8Array(65537)), () => crypto.getRandomValues(new Float64Array(2))].map((f) => { try { f(); return 'ok'; } catch (e) { return e.name; } })`)).toEqual(['QuotaExceededError', 'TypeMismatchError']);
    const data = 'The quick brown fox 😀'.repeat(50);
    for (const [web, node] of [['SHA-1', 'sha1'], ['SHA-256', 'sha256'], ['SHA-384', 'sha384'], ['sha-512', 'sha512']]) {
      const hex = await s.runAsync(`[...new Uint8Array(await crypto.subtle.digest(${JSON.stringify(web)}, new TextEncoder().encode(${JSON.stringify(data)})))].map((b) => b.toString(16).padStart(2, '0')).join('')`);
      expect(hex, web).toBe(createHash(node!).update(data).digest('hex'));
    }
    expect(await s.runAsync(`crypto.subtle.digest('MD5', new Uint8Array(1)).then(() => 'ok', (e) => e.name)`)).toBe('NotSupportedError');
  });

  it('isolates made from the one startup snapshot share no randomness and no state', async () => {
    const a = await sandbox();
    const b = await sandbox();
    const probe = `[crypto.randomUUID(), Array.from(crypto.getRandomValues(new Uint8Array(16))), Math.random(), (globalThis.__mark = (globalThis.__mark || 0) + 1)]`;
    const [ra, rb] = (await Promise.all([a.run(probe), b.run(probe)])) as [unknown[], unknown[]];
    expect(ra[0]).not.toBe(rb[0]);
    expect(ra[1]).not.toEqual(rb[1]);
    expect(ra[2]).not.toBe(rb[2]);
    expect([ra[3], rb[3]]).toEqual([1, 1]);
    expect(await a.run(`typeof __hotmodBindWebGlobals`)).toBe('undefined');
  });

  it('console.* goes to the module log, formatted, each line bounded, and rate-limited with a count of what was dropped', async () => {
    const s = await sandbox();
    await s.run(`console.log('a %s %d %j', 'str', 42, { j: 1 }, { obj: [1, 'two'] }); console.warn('w'); console.error(new Error('boom')); console.debug('d')`);
    expect(s.logs.map((l) => [l.level, l.message.split('\n')[0]])).toEqual([
      ['info', `a str 42 {"j":1} { obj: [ 1, 'two' ] }`.replace("'two'", '"two"')],
      ['warn', 'w'],
      ['error', 'Error: boom'],
      ['info', 'd'],
    ]);
    s.logs.length = 0;
    await s.run(`console.log('x'.repeat(100000))`);
    expect(s.logs[0]!.message.length).toBeLessThan(8300);
    expect(s.logs[0]!.message).toContain('more characters]');
    s.logs.length = 0;
    await s.run(`for (let i = 0; i < 1000; i++) console.log('line ' + i)`);
    expect(s.logs.length).toBeLessThanOrEqual(205);
    expect(s.logs.length).toBeGreaterThanOrEqual(150);
    await new Promise((r) => setTimeout(r, 100));
    await s.run(`console.log('after')`);
    const warn = s.logs.find((l) => l.level === 'warn');
    expect(warn?.message).toMatch(/^console: \d+ line\(s\) dropped/);
    expect(s.logs.at(-1)!.message).toBe('after');
  });

  it('console without the log permission is there but silent', async () => {
    const s = await sandbox({ permissions: [] });
    expect(await s.run(`console.log('x'); typeof console.log`)).toBe('function');
    expect(s.logs).toEqual([]);
  });

  it('AbortController/AbortSignal and Event/EventTarget follow the standard', async () => {
    const s = await sandbox();
    const result = await s.runAsync(`(async () => {
      const out = [];
      const t = new EventTarget();
      const listener = (e) => out.push(e.type + ':' + (e.target === t) + ':' + e.cancelable);
      t.addEventListener('ping', listener);
      t.addEventListener('ping', listener);
      t.addEventListener('ping', { handleEvent: () => out.push('obj') }, { once: true });
      t.dispatchEvent(new Event('ping', { cancelable: true }));
      t.dispatchEvent(new Event('ping'));
      t.removeEventListener('ping', listener);
      t.dispatchEvent(new Event('ping'));
      const ev = new Event('x', { cancelable: true }); t.addEventListener('x', (e) => e.preventDefault());
      out.push(t.dispatchEvent(ev), ev.defaultPrevented);
      const c = new AbortController();
      c.signal.onabort = () => out.push('onabort');
      const dependent = AbortSignal.any([c.signal]);
      c.abort('why');
      out.push(c.signal.aborted, c.signal.reason, dependent.aborted, dependent.reason);
      try { c.signal.throwIfAborted(); } catch (e) { out.push('threw ' + e); }
      out.push(AbortSignal.abort().reason.name);
      const timed = AbortSignal.timeout(5);
      await new Promise((r) => timed.addEventListener('abort', r));
      out.push(timed.reason.name);
      out.push(new CustomEvent('c', { detail: 7 }).detail);
      try { new AbortSignal(); } catch (e) { out.push(e instanceof TypeError); }
      return out;
    })()`);
    expect(result).toEqual(['ping:true:true', 'obj', 'ping:true:false', false, true, 'onabort', true, 'why', true, 'why', 'threw why', 'AbortError', 'TimeoutError', 7, true]);
  });

  it('timers: setTimeout/setInterval with the timers permission; absent without it, with an error naming the permission', async () => {
    const s = await sandbox();
    expect(await s.runAsync(`new Promise((resolve) => { let n = 0; const id = setInterval(() => { if (++n === 3) { clearInterval(id); setTimeout(() => resolve(n), 20); } }, 5); })`)).toBe(3);
    const without = await sandbox({ permissions: ['log'] });
    expect(await without.run(`[typeof setTimeout, typeof setInterval, typeof clearTimeout]`)).toEqual(['undefined', 'undefined', 'undefined']);
    await expect(without.run(`setInterval(() => {}, 1)`)).rejects.toThrow(/setInterval is not defined: a timer API the module was not granted; add "timers" to the manifest's permissions/);
  });

  it('Node-only names are absent; using one is an E_MODULE_THREW naming the API and the alternative, typeof stays safe', async () => {
    const s = await sandbox();
    expect(await s.run(`[typeof process, typeof require, typeof Buffer, typeof fs, typeof global, typeof setImmediate, typeof module, typeof exports]`)).toEqual(Array(8).fill('undefined'));
    for (const [use, hint] of [
      ['process.env.HOME', /process is not defined: a Node-only API absent from the sandbox; there is no process: configuration comes in ctx.config/],
      ["require('x')", /require is not defined: .*use import, and bundle the dependency/],
      ["Buffer.from('x')", /Buffer is not defined: .*use Uint8Array with TextEncoder\/TextDecoder/],
      ['fs.readFileSync', /fs is not defined: .*no file system in the sandbox/],
    ] as const) {
      const error = await s.run(use).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(HotmodError);
      expect((error as HotmodError).code).toBe('E_MODULE_THREW');
      expect((error as HotmodError).message).toMatch(hint);
    }
  });

  it('the same hint when top-level code uses a Node-only name (E_SANDBOX_EVALUATE)', async () => {
    const error = await sandbox({ code: `const home = process.env.HOME;\nexport async function activate() { return {}; }` }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as HotmodError).code).toBe('E_SANDBOX_EVALUATE');
    expect((error as HotmodError).message).toMatch(/process is not defined: a Node-only API absent from the sandbox/);
  });

  it('no global leaks a host object: every prototype chain ends in the isolate’s own Object.prototype, every function’s Function is the isolate’s', async () => {
    const s = await sandbox();
    const report = await s.run(`(() => {
      const names = ['TextEncoder', 'TextDecoder', 'URL', 'URLSearchParams', 'atob', 'btoa', 'structuredClone', 'queueMicrotask', 'performance', 'crypto', 'Crypto', 'SubtleCrypto', 'console', 'AbortController', 'AbortSignal', 'Event', 'CustomEvent', 'EventTarget', 'DOMException', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'self'];
      const bad = [], seen = new Set();
      const check = (value, path, depth) => {
        if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) return;
        seen.add(value);
        let p = value, hops = 0;
        while (Object.getPrototypeOf(p) !== null) { p = Object.getPrototypeOf(p); if (++hops > 20) break; }
        if (p !== Object.prototype && p !== value) bad.push(path + ': prototype chain ends outside the isolate');
        if (typeof value === 'function' && !Function.prototype.isPrototypeOf(value)) bad.push(path + ': a foreign Function');
        if (depth > 2) return;
        for (const key of Reflect.ownKeys(value)) {
          const d = Object.getOwnPropertyDescriptor(value, key);
          for (const part of [d.value, d.get, d.set]) check(part, path + '.' + String(key), depth + 1);
        }
      };
      for (const name of names) {
        if (!(name in globalThis)) bad.push(name + ' missing');
        if (name !== 'self') check(globalThis[name], name, 0);
      }
      check(new TextEncoder().encode('x'), 'encoded', 1);
      check(crypto.subtle, 'crypto.subtle', 0);
      check(new URL('http://h/?a=1').searchParams, 'searchParams', 0);
      check(new AbortController().signal, 'signal', 0);
      if (self !== globalThis) bad.push('self is not the global');
      return [bad, TextEncoder.prototype.constructor.constructor('return this')() === globalThis, Object.keys(globalThis).filter((k) => !['__proto__'].includes(k))];
    })()`);
    expect(report).toEqual([[], true, []]);
  });
});

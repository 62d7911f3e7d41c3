/**
 * Issue 13.2: `fetch` as a permission. Real local HTTP servers (node:http on 127.0.0.1,
 * random ports), real module folders in a temp modules dir, real isolates through
 * createHost: the host makes each request (Node's fetch, redirect: 'manual'), only to
 * allowed origins (manifest ∩ the host's allowOrigins), within a timeout and a size cap.
 */
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { validateManifest } from '../../src/registry/index.js';
import { createIsolateSandboxFactory, type SandboxOptions } from '../../src/sandbox/index.js';
import { createProcessSandboxFactory, type ProcessSandboxFactory } from '../../src/sandbox/process/index.js';
import { newHost, tempDir } from '../runtime/helpers.js';

interface Server {
  origin: string;
  server: http.Server;
}
const slowClosed: Record<string, boolean> = {};
let a: Server;
let b: Server;

async function serve(handler: http.RequestListener): Promise<Server> {
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function routes(name: string): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      switch (url.pathname) {
        case '/hello':
          res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'x-server': name });
          res.end(`hello from ${name} ✓`);
          return;
        case '/echo': {
          const body = Buffer.concat(chunks).toString('utf8');
          res.writeHead(201, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ server: name, method: req.method, type: req.headers['content-type'], token: req.headers['x-token'], auth: req.headers.authorization ?? null, body: body === '' ? null : JSON.parse(body) }));
          return;
        }
        case '/redirect':
          res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('to') ?? '/hello' });
          res.end();
          return;
        case '/loop':
          res.writeHead(302, { location: '/loop' });
          res.end();
          return;
        case '/slow':
          slowClosed[name] = false;
          res.on('close', () => {
            slowClosed[name] = true;
          });
          setTimeout(() => {
            if (!res.destroyed) res.end('late');
          }, 3000).unref();
          return;
        case '/big': {
          // Chunked, no content-length: the cap must cut the stream off.
          res.writeHead(200, { 'content-type': 'application/octet-stream' });
          let sent = 0;
          const push = () => {
            while (sent < 1024 * 1024) {
              sent += 16 * 1024;
              if (!res.write(Buffer.alloc(16 * 1024, 97))) {
                res.once('drain', push);
                return;
              }
            }
            res.end();
          };
          res.on('error', () => {});
          push();
          return;
        }
        default:
          res.writeHead(404);
          res.end('not found');
      }
    });
  };
}

beforeAll(async () => {
  a = await serve(routes('a'));
  b = await serve(routes('b'));
});
afterAll(async () => {
  for (const s of [a, b]) {
    s.server.closeAllConnections();
    s.server.close();
  }
});

const NET_MODULE = `
export async function activate() {
  return { 'net.api': {
    async get(input) {
      try {
        const res = await fetch(input.url, input.init);
        const text = await res.text();
        return { status: res.status, ok: res.ok, text, type: res.headers.get('content-type'), server: res.headers.get('x-server'), redirected: res.redirected, url: res.url };
      } catch (e) {
        return { error: { name: e.name, code: e.code, message: e.message } };
      }
    },
    async post(input) {
      const res = await fetch(new Request(input.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-token': 't1' }, body: JSON.stringify(input.body) }));
      return { status: res.status, ok: res.ok, data: await res.json() };
    },
    async bytes(input) {
      const res = await fetch(input.url);
      const buf = await res.arrayBuffer();
      return { length: buf.byteLength, first: new Uint8Array(buf)[0] };
    },
    async abortable(input) {
      const controller = new AbortController();
      const pending = fetch(input.url, { signal: controller.signal });
      controller.abort();
      try { await pending; return 'resolved'; } catch (e) { return e.name; }
    },
    probe() { return [typeof fetch, typeof Response, typeof Headers, typeof Request, typeof __hotmodFetch, Object.getOwnPropertyNames(globalThis).filter((n) => n.startsWith('__hotmod'))]; },
    local() {
      const h = new Headers([['B', '2'], ['a', '1'], ['set-cookie', 'x=1'], ['set-cookie', 'y=2']]);
      h.append('a', '3');
      const r = Response.json({ k: 1 }, { status: 202 });
      return Promise.all([r.json(), new Response('ü').arrayBuffer()]).then(([data, buf]) => ({
        entries: [...h], a: h.get('A'), status: r.status, type: r.headers.get('content-type'), data, bytes: buf.byteLength, used: r.bodyUsed,
      }));
    },
  } };
}
`;

const NO_FETCH_MODULE = `
export async function activate() {
  return { 'plain.api': {
    probe() { return [typeof fetch, typeof Response, typeof __hotmodFetch]; },
    call(url) { return fetch(url); },
  } };
}
`;

async function modulesDir(origins: string[]): Promise<string> {
  const root = await tempDir('fetch');
  const dir = path.join(root, 'modules');
  const write = async (name: string, hotmod: Record<string, unknown>, code: string) => {
    await mkdir(path.join(dir, name, 'dist'), { recursive: true });
    await writeFile(path.join(dir, name, 'package.json'), JSON.stringify({ name: `@t/${name}`, version: '1.0.0', main: 'dist/index.js', hotmod: { id: name, ...hotmod } }));
    await writeFile(path.join(dir, name, 'dist/index.js'), code);
  };
  await write('net', { provides: { 'net.api': '1.0.0' }, permissions: ['fetch'], fetch: { origins } }, NET_MODULE);
  await write('plain', { provides: { 'plain.api': '1.0.0' }, permissions: ['log'] }, NO_FETCH_MODULE);
  return dir;
}

type GetResult = { status?: number; ok?: boolean; text?: string; type?: string; server?: string; redirected?: boolean; url?: string; error?: { name: string; code?: string; message: string } };

describe('fetch (permission "fetch")', () => {
  it('GET and POST with a JSON round trip to an allowed origin; bytes; Response/Headers/Request', async () => {
    const host = await newHost({ modulesDir: await modulesDir([a.origin, b.origin]) });
    await host.start();
    const client = host.client('acme');
    expect(await client.invoke('net.api', 'probe')).toEqual(['function', 'function', 'function', 'function', 'undefined', []]);
    expect(await client.invoke('net.api', 'local')).toEqual({
      entries: [['a', '1, 3'], ['b', '2'], ['set-cookie', 'x=1'], ['set-cookie', 'y=2']], a: '1, 3', status: 202, type: 'application/json', data: { k: 1 }, bytes: 2, used: true,
    });
    expect(await client.invoke('net.api', 'abortable', { url: `${a.origin}/slow` })).toBe('AbortError');
    const got = (await client.invoke('net.api', 'get', { url: `${a.origin}/hello` })) as GetResult;
    expect(got).toEqual({ status: 200, ok: true, text: 'hello from a ✓', type: 'text/plain; charset=utf-8', server: 'a', redirected: false, url: `${a.origin}/hello` });
    const posted = await client.invoke('net.api', 'post', { url: `${b.origin}/echo`, body: { n: 1, s: 'ü' } });
    expect(posted).toEqual({ status: 201, ok: true, data: { server: 'b', method: 'POST', type: 'application/json', token: 't1', auth: null, body: { n: 1, s: 'ü' } } });
    const missing = (await client.invoke('net.api', 'get', { url: `${a.origin}/nope` })) as GetResult;
    expect(missing).toMatchObject({ status: 404, ok: false, text: 'not found' });
    expect(await client.invoke('net.api', 'bytes', { url: `${a.origin}/hello` })).toEqual({ length: Buffer.byteLength('hello from a ✓'), first: 104 });
  });

  it('refuses an origin the manifest does not list (E_FETCH_DENIED) and a URL that is not http(s)', async () => {
    const host = await newHost({ modulesDir: await modulesDir([a.origin]) });
    await host.start();
    const client = host.client('acme');
    const port = new URL(a.origin).port;
    // Same server, other origin (localhost is not 127.0.0.1).
    const denied = (await client.invoke('net.api', 'get', { url: `http://localhost:${port}/hello` })) as GetResult;
    expect(denied.error).toMatchObject({ code: 'E_FETCH_DENIED' });
    expect(denied.error!.message).toMatch(new RegExp(`the origin http://localhost:${port} is not allowed \\(allowed: ${a.origin}\\)`));
    const other = (await client.invoke('net.api', 'get', { url: `${b.origin}/hello` })) as GetResult;
    expect(other.error?.code).toBe('E_FETCH_DENIED');
    const file = (await client.invoke('net.api', 'get', { url: 'file:///etc/passwd' })) as GetResult;
    expect(file.error?.code).toBe('E_FETCH_INVALID');
    const relative = (await client.invoke('net.api', 'get', { url: '/hello' })) as GetResult;
    expect(relative.error).toMatchObject({ name: 'TypeError' });
  });

  it('without the permission fetch is absent, and using it says what to add', async () => {
    const host = await newHost({ modulesDir: await modulesDir([a.origin]) });
    await host.start();
    const client = host.client('acme');
    expect(await client.invoke('plain.api', 'probe')).toEqual(['undefined', 'function', 'undefined']);
    const error = (await client.invoke('plain.api', 'call', `${a.origin}/hello`).catch((e: unknown) => e)) as { code: string; message: string };
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.message).toMatch(/fetch is not defined: an API the module was not granted; add "fetch" to the manifest's permissions/);
  });

  it('follows a redirect to an allowed origin, refuses one to a denied origin and a redirect loop', async () => {
    const host = await newHost({ modulesDir: await modulesDir([a.origin, b.origin]), fetch: { maxRedirects: 3 } });
    await host.start();
    const client = host.client('acme');
    const followed = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?to=${encodeURIComponent(`${b.origin}/hello`)}` })) as GetResult;
    expect(followed).toMatchObject({ status: 200, text: 'hello from b ✓', redirected: true, url: `${b.origin}/hello` });
    // 303 after a POST: a GET to the target, no body.
    const seeOther = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?status=303&to=/echo`, init: { method: 'POST', body: '{"x":1}' } })) as GetResult;
    expect(JSON.parse(seeOther.text!)).toMatchObject({ method: 'GET', body: null });
    // Authorization stays on a same-origin redirect and is dropped on a cross-origin one.
    const auth = { headers: { authorization: 'Bearer s3cret' } };
    const same = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?to=/echo`, init: auth })) as GetResult;
    expect(JSON.parse(same.text!)).toMatchObject({ server: 'a', auth: 'Bearer s3cret' });
    const cross = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?to=${encodeURIComponent(`${b.origin}/echo`)}`, init: auth })) as GetResult;
    expect(JSON.parse(cross.text!)).toMatchObject({ server: 'b', auth: null });
    const port = new URL(b.origin).port;
    const refused = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?to=${encodeURIComponent(`http://localhost:${port}/hello`)}` })) as GetResult;
    expect(refused.error?.code).toBe('E_FETCH_REDIRECT');
    expect(refused.error?.message).toMatch(/redirected to http:\/\/localhost:\d+\/hello, whose origin http:\/\/localhost:\d+ is not allowed/);
    const loop = (await client.invoke('net.api', 'get', { url: `${a.origin}/loop` })) as GetResult;
    expect(loop.error?.code).toBe('E_FETCH_REDIRECT');
    expect(loop.error?.message).toMatch(/more than 3 times/);
    const manual = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?to=/hello`, init: { redirect: 'manual' } })) as GetResult;
    expect(manual).toMatchObject({ status: 302, redirected: false });
    const error = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?to=/hello`, init: { redirect: 'error' } })) as GetResult;
    expect(error.error?.code).toBe('E_FETCH_REDIRECT');
  });

  it('times out (E_FETCH_TIMEOUT) and caps the response size while streaming (E_FETCH_TOO_LARGE)', async () => {
    const host = await newHost({ modulesDir: await modulesDir([a.origin]), fetch: { timeoutMs: 300, maxResponseBytes: 64 * 1024 } });
    await host.start();
    const client = host.client('acme');
    const started = performance.now();
    const slow = (await client.invoke('net.api', 'get', { url: `${a.origin}/slow` })) as GetResult;
    expect(slow.error?.code).toBe('E_FETCH_TIMEOUT');
    expect(slow.error?.message).toMatch(/did not finish within 300 ms/);
    expect(performance.now() - started).toBeLessThan(2500);
    const big = (await client.invoke('net.api', 'get', { url: `${a.origin}/big` })) as GetResult;
    expect(big.error?.code).toBe('E_FETCH_TOO_LARGE');
    expect(big.error?.message).toMatch(/over the limit of 65536/);
    // Still serving after both.
    expect(((await client.invoke('net.api', 'get', { url: `${a.origin}/hello` })) as GetResult).status).toBe(200);
  });

  it("narrows the manifest's origins to the operator's allowOrigins", async () => {
    const host = await newHost({ modulesDir: await modulesDir([a.origin, b.origin]), fetch: { allowOrigins: [`${a.origin}/`] } });
    await host.start();
    const client = host.client('acme');
    expect(((await client.invoke('net.api', 'get', { url: `${a.origin}/hello` })) as GetResult).text).toBe('hello from a ✓');
    const narrowed = (await client.invoke('net.api', 'get', { url: `${b.origin}/hello` })) as GetResult;
    expect(narrowed.error?.code).toBe('E_FETCH_DENIED');
    const redirected = (await client.invoke('net.api', 'get', { url: `${a.origin}/redirect?to=${encodeURIComponent(`${b.origin}/hello`)}` })) as GetResult;
    expect(redirected.error?.code).toBe('E_FETCH_REDIRECT');
  });

  it('rejects bad host fetch options', async () => {
    const dir = await modulesDir([a.origin]);
    await expect(newHost({ modulesDir: dir, fetch: { allowOrigins: ['https://x.example/path'] } })).rejects.toMatchObject({ code: 'E_HOST_OPTIONS_INVALID' });
    await expect(newHost({ modulesDir: dir, fetch: { timeoutMs: -1 } })).rejects.toMatchObject({ code: 'E_HOST_OPTIONS_INVALID' });
  });
});

describe('the manifest: permissions ["fetch"] and fetch.origins', () => {
  const check = (hotmod: Record<string, unknown>) =>
    validateManifest({ name: 'm', version: '1.0.0', engines: { hotmod: '^1.0.0' }, hotmod: { id: 'm', ...hotmod } }, { dir: '/m', file: '/m/package.json' } as never);
  it('normalizes the origins and reports what is wrong', () => {
    const ok = check({ permissions: ['fetch'], fetch: { origins: ['https://B.example/', 'https://a.example:443'] } });
    expect(ok.manifest?.fetch).toEqual({ origins: ['https://a.example', 'https://b.example'] });
    expect(check({ permissions: ['fetch'] }).diagnostics.map((d) => d.code)).toEqual(['E_MANIFEST_FETCH']);
    expect(check({ permissions: ['fetch'], fetch: { origins: ['https://a.example/api'] } }).diagnostics.map((d) => [d.code, d.jsonPath])).toEqual([['E_MANIFEST_FETCH', '$.hotmod.fetch.origins[0]']]);
    expect(check({ permissions: ['fetch'], fetch: ['https://a.example'] }).diagnostics.map((d) => d.code)).toEqual(['E_MANIFEST_TYPE']);
    expect(check({ fetch: { origins: ['https://a.example'] } }).diagnostics.map((d) => [d.code, d.severity])).toEqual([['E_MANIFEST_FETCH', 'warning']]);
  });
});

/** Sandbox options of the net module, allowed to fetch `origin`. */
function netOptions(origin: string, timeoutMs: number): SandboxOptions {
  return {
    moduleId: 'net',
    version: '1.0.0',
    code: NET_MODULE,
    filename: '/virtual/net/dist/index.js',
    permissions: ['fetch'],
    fetch: { origins: [origin], timeoutMs, maxResponseBytes: 1024 * 1024, maxRedirects: 5 },
    log: () => {},
    callCapability: async () => undefined,
    onFatal: () => {},
    limits: { memoryMb: 64, callTimeoutMs: 5000, activateTimeoutMs: 5000, deactivateTimeoutMs: 2000 },
  };
}

describe('fetch under process isolation', () => {
  let factory: ProcessSandboxFactory | undefined;
  afterAll(async () => {
    await factory?.close();
  });
  it('the child process makes the request under the same policy', async () => {
    factory = createProcessSandboxFactory({ poolSize: 1 });
    const sandbox = await factory.create(netOptions(a.origin, 2000));
    const ctx = { clientId: 'c1', requestId: 'r1', settings: {} };
    await sandbox.activate({ config: {}, previousState: undefined });
    expect(await sandbox.call('net.api', 'get', { url: `${a.origin}/hello` }, ctx)).toMatchObject({ status: 200, text: 'hello from a ✓' });
    expect(((await sandbox.call('net.api', 'get', { url: `${b.origin}/hello` }, ctx)) as GetResult).error?.code).toBe('E_FETCH_DENIED');
    await sandbox.dispose();
  });
});

describe('fetch in the isolate sandbox directly', () => {
  it("works with execution 'async' and disposing the sandbox aborts the request in flight", async () => {
    const sandbox = await createIsolateSandboxFactory({ execution: 'async' }).create(netOptions(b.origin, 5000));
    const ctx = { clientId: 'c1', requestId: 'r1', settings: {} };
    await sandbox.activate({ config: {}, previousState: undefined });
    expect(await sandbox.call('net.api', 'post', { url: `${b.origin}/echo`, body: [1, 2] }, ctx)).toMatchObject({ status: 201, data: { body: [1, 2] } });
    const pending = sandbox.call('net.api', 'get', { url: `${b.origin}/slow` }, ctx).catch((e: unknown) => e);
    await vi.waitFor(() => expect(slowClosed.b).toBe(false));
    await sandbox.dispose();
    expect(((await pending) as { code: string }).code).toBe('E_SANDBOX_DISPOSED');
    await vi.waitFor(() => expect(slowClosed.b).toBe(true), { timeout: 1000 });
  });
});

/**
 * End to end: examples/app-server/server.ts as a child process (the way `npm run dev`
 * runs it) on a free port, over a temp copy of modules/ and a temp PGlite store. Every
 * route over real HTTP, a module edited on disk and swapped in by the watcher while a
 * loop of requests runs with zero failures, then SIGTERM and a clean exit.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppServer, type AppServerProcess } from './support/appServerProcess.js';

const root = path.resolve(import.meta.dirname, '../..');
const ACME = '0d7c9f3e-1a2b-4c5d-8e6f-000000000001'; // legacy list: accounts, billing, notifications
const GLOBEX = '0d7c9f3e-1a2b-4c5d-8e6f-000000000002'; // legacy list: accounts, payments, analytics
const DEMO_MODULES = ['accounts', 'analytics', 'billing', 'notifications', 'payments'];
const QUOTE = { lines: [{ description: 'Pro plan', quantity: 2, unitPriceCents: 1500 }] };

let tmp: string;
let server: AppServerProcess;

async function call(method: string, route: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(`${server.url}${route}`, init);
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, type, headers: response.headers, text, body: type.startsWith('application/json') ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hotmod-e2e-'));
  // The five demo modules only: a reader who followed the README's module-author steps has
  // modules/greeter too, and `npm test` must still pass for them.
  for (const id of DEMO_MODULES) await cp(path.join(root, 'modules', id), path.join(tmp, 'modules', id), { recursive: true });
  server = await startAppServer({
    args: ['--watch'],
    env: { HOTMOD_MODULES_DIR: path.join(tmp, 'modules'), HOTMOD_STORE: `pglite://${path.join(tmp, 'db')}`, LOG_LEVEL: 'warn' },
  });
}, 90_000);

afterAll(async () => {
  await server?.stop('SIGKILL').catch(() => undefined);
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('examples/app-server over HTTP', () => {
  it('prints its URL and a curl command with a real demo client that works as printed', async () => {
    const line = await server.waitForOutput(/curl -s -X POST/);
    const m = /curl -s -X POST (\S+) -H 'content-type: application\/json' -d '(.+)'$/.exec(line.trim());
    expect(m, line).not.toBeNull();
    expect(m![1]).toBe(`${server.url}/clients/${ACME}/invoke/billing.invoices/quote`);
    const response = await fetch(m![1]!, { method: 'POST', headers: { 'content-type': 'application/json' }, body: m![2] });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ result: { currency: 'EUR', subtotalCents: 3000, totalCents: 3000 } });
  });

  it('GET /health answers 200 with the module counts', async () => {
    const r = await call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', state: 'running', modules: { total: 5 } });
    expect(r.body.modules.byState.active).toBeGreaterThanOrEqual(4);
  });

  it('GET /modules lists the demo modules', async () => {
    const r = await call('GET', '/modules');
    expect(r.status).toBe(200);
    const versions = Object.fromEntries(r.body.modules.map((m: { id: string; version: string }) => [m.id, m.version]));
    expect(versions).toEqual({ accounts: '3.1.0', analytics: '1.2.0', billing: '1.4.0', notifications: '1.0.0', payments: '2.1.0' });
  });

  it('GET /clients/:id/modules merges the legacy list with the catalog', async () => {
    const r = await call('GET', `/clients/${ACME}/modules`);
    expect(r.status).toBe(200);
    expect(r.body.clientId).toBe(ACME);
    const enabled = r.body.modules.filter((m: { enabled: boolean }) => m.enabled).map((m: { moduleId: string }) => m.moduleId).sort();
    expect(enabled).toEqual(['accounts', 'billing', 'notifications', 'payments']); // payments implicitly, for billing
    expect(r.body.modules.find((m: { moduleId: string }) => m.moduleId === 'payments')).toMatchObject({ implicit: true });
  });

  it('POST /clients/:id/invoke/... calls a module and maps E_NOT_ENABLED to 403', async () => {
    const ok = await call('POST', `/clients/${ACME}/invoke/billing.invoices/quote`, QUOTE, { 'x-request-id': 'e2e-1' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-request-id')).toBe('e2e-1');
    expect(ok.body.result).toMatchObject({ totalCents: 3000 });
    const refused = await call('POST', `/clients/${GLOBEX}/invoke/notifications.send/outbox`);
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'E_NOT_ENABLED' });
    expect(refused.body.error.message).toMatch(/notifications/);
  });

  it('POST .../enable and .../disable change what a client may call', async () => {
    const enable = await call('POST', `/clients/${GLOBEX}/modules/notifications/enable`);
    expect(enable.status, enable.text).toBe(200);
    expect(enable.body).toMatchObject({ clientId: GLOBEX, moduleId: 'notifications', enabled: true, changed: true, module: { enabled: true } });
    const outbox = await call('POST', `/clients/${GLOBEX}/invoke/notifications.send/outbox`);
    expect(outbox.status, outbox.text).toBe(200);
    // The legacy list was written (useAdvanced defaults to false): old readers see it too.
    const row = await call('GET', `/clients/${GLOBEX}/overrides`);
    expect(row.body.modules_enabled).toContain('notifications');

    const disable = await call('POST', `/clients/${GLOBEX}/modules/notifications/disable`, {});
    expect(disable.status, disable.text).toBe(200);
    expect(disable.body).toMatchObject({ enabled: false, changed: true, module: { enabled: false } });
    expect((await call('POST', `/clients/${GLOBEX}/invoke/notifications.send/outbox`)).status).toBe(403);
  });

  it('GET / PUT /clients/:id/overrides and POST .../overrides/reset speak the legacy shape', async () => {
    const before = await call('GET', `/clients/${ACME}/overrides`);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ client_id: ACME, modules_enabled: ['accounts', 'billing', 'notifications'], theme_overrides: { primaryColor: '#0a7' } });

    const put = await call('PUT', `/clients/${ACME}/overrides`, { modulesEnabled: ['accounts', 'billing-v1', 'analytics'] });
    expect(put.status, put.text).toBe(200);
    expect(put.body).toMatchObject({ client_id: ACME, modules_enabled: ['accounts', 'billing-v1', 'analytics'], theme_overrides: { primaryColor: '#0a7' } });
    const modules = await call('GET', `/clients/${ACME}/modules`);
    const enabled = modules.body.modules.filter((m: { enabled: boolean }) => m.enabled).map((m: { moduleId: string }) => m.moduleId).sort();
    expect(enabled).toEqual(['accounts', 'analytics', 'billing', 'payments']);

    const bad = await call('PUT', `/clients/${ACME}/overrides`, { modulesEnabled: 'billing' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('E_BAD_REQUEST');

    const reset = await call('POST', `/clients/${ACME}/overrides/reset`);
    expect(reset.status, reset.text).toBe(200);
    expect(reset.body.theme_overrides).toEqual({});
    expect([...reset.body.modules_enabled].sort()).toEqual(['accounts', 'analytics', 'billing', 'payments']); // defaultEnabled

    const none = await call('GET', '/clients/0d7c9f3e-1a2b-4c5d-8e6f-000000000006/overrides'); // Stark: no legacy row
    expect(none.status).toBe(404);
    expect(none.body.error.code).toBe('E_OVERRIDES_NOT_FOUND');
  });

  it('GET /metrics answers Prometheus text', async () => {
    const r = await call('GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(r.text).toMatch(/^# TYPE hotmod_\w+/m);
    expect(r.text).toMatch(/module="billing"/);
  });

  it('swaps an edited module in while requests keep coming, with no failed request', async () => {
    const billing = path.join(tmp, 'modules/billing');
    let stop = false;
    const seen = { ok: 0, failed: [] as string[], currencies: new Set<string>() };
    const loop = async () => {
      while (!stop) {
        try {
          const r = await call('POST', `/clients/${GLOBEX}/invoke/payments.charge/ledger`);
          const q = await call('POST', `/clients/${ACME}/invoke/billing.invoices/quote`, QUOTE);
          if (r.status !== 200) seen.failed.push(`ledger ${r.status} ${r.text}`);
          if (q.status !== 200) seen.failed.push(`quote ${q.status} ${q.text}`);
          else {
            seen.ok += 1;
            seen.currencies.add(q.body.result.currency);
          }
        } catch (error) {
          seen.failed.push(String(error));
        }
      }
    };
    const loops = [loop(), loop(), loop()];
    try {
      await waitFor(() => seen.ok >= 10, 20_000, 'the request loop to get going');
      // What a module author does: change the code, bump the version.
      const src = path.join(billing, 'src/index.ts');
      const code = await readFile(src, 'utf8');
      expect(code).toContain("currency: ctx.config?.currency ?? 'EUR'");
      await writeFile(src, code.replace("currency: ctx.config?.currency ?? 'EUR'", "currency: ctx.config?.currency ?? 'USD'"));
      const pkgPath = path.join(billing, 'package.json');
      const pkg = JSON.parse(await readFile(pkgPath, 'utf8'));
      pkg.version = '1.5.0';
      pkg.hotmod.provides['billing.invoices'] = '1.5.0';
      await writeFile(pkgPath, JSON.stringify(pkg, null, 2));
      const okAtEdit = seen.ok;

      await waitFor(() => seen.currencies.has('USD'), 45_000, 'the new billing version to answer');
      const okAtSwap = seen.ok;
      // Requests were answered between the edit and the new version: the loop ran through the swap.
      expect(okAtSwap).toBeGreaterThan(okAtEdit);
      await waitFor(() => seen.ok >= okAtSwap + 20, 20_000, 'more requests after the swap');
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    expect(seen.failed).toEqual([]);
    expect(seen.currencies).toEqual(new Set(['EUR', 'USD']));
    const modules = await call('GET', '/modules');
    expect(modules.body.modules.find((m: { id: string }) => m.id === 'billing')).toMatchObject({ version: '1.5.0', state: 'active' });
    await server.waitForOutput(/swapped billing 1\.4\.0 -> 1\.5\.0/, 10_000);
  }, 120_000);

  it('stops cleanly on SIGTERM: exit code 0', async () => {
    const code = await server.stop('SIGTERM', 20_000);
    expect(code).toBe(0);
    expect(server.output()).toMatch(/^stopped$/m);
  }, 30_000);
});

async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; server output:\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

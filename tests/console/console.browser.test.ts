/**
 * The operator's console in a real browser: examples/app-server/server.ts as a child
 * process (hot reload on, a temp copy of modules/, a temp PGlite store seeded with the demo
 * clients and 1,500 more), opened by headless Chromium (Debian's /usr/bin/chromium through
 * playwright-core). Checks what each view shows against the host's own answers over the
 * JSON routes, watches a swap (a module edited on disk, picked up by the real watcher) and
 * a migration run progress live, and keeps screenshots under test-artifacts/console/.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initLegacySchema, openStore } from '../../src/legacy-bridge/index.js';
import { startAppServer, type AppServerProcess } from '../e2e/support/appServerProcess.js';

const root = path.resolve(import.meta.dirname, '../..');
const ARTIFACTS = path.join(root, 'test-artifacts/console');
const TOKEN = 'console-test-token-0123456789';
const ACME = '0d7c9f3e-1a2b-4c5d-8e6f-000000000001'; // legacy list: accounts, billing, notifications
const BULK_CLIENTS = 1500;
const DEMO_MODULES = ['accounts', 'analytics', 'billing', 'notifications', 'payments'];
const WAIT = { timeout: 45_000 };

let tmp: string;
let server: AppServerProcess;
let browser: Browser;
let context: BrowserContext;
let console_: string;

async function json<T = any>(route: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${route}`, init);
  return { status: response.status, body: (await response.json()) as T };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'hotmod-console-'));
  for (const id of DEMO_MODULES) await cp(path.join(root, 'modules', id), path.join(tmp, 'modules', id), { recursive: true });
  // The store before the server opens it (PGlite: one process per directory): the demo clients and a bulk for the migration to chew on.
  const storeUrl = `pglite://${path.join(tmp, 'db')}`;
  const store = await openStore(storeUrl);
  await initLegacySchema(store, { demo: true });
  await store.query(`INSERT INTO clients (id, name) SELECT ('0c000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'bulk ' || g FROM generate_series(1, ${BULK_CLIENTS}) g`);
  await store.query(
    `INSERT INTO client_app_overrides (id, client_id, modules_enabled, theme_overrides, consultation_config, plan_catalog_overrides, created_at, updated_at)
     SELECT gen_random_uuid(), id, '["accounts", "billing"]'::jsonb, '{}'::jsonb, '{}'::jsonb, '{}'::jsonb, now(), now() FROM clients WHERE name LIKE 'bulk %'`,
  );
  await store.close();
  await mkdir(ARTIFACTS, { recursive: true });
  server = await startAppServer({
    args: ['--watch'],
    env: { HOTMOD_MODULES_DIR: path.join(tmp, 'modules'), HOTMOD_STORE: storeUrl, HOTMOD_CONSOLE_TOKEN: TOKEN, LOG_LEVEL: 'warn' },
    startTimeoutMs: 90_000,
  });
  console_ = `${server.url}/console`;
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await server?.stop('SIGKILL').catch(() => undefined);
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 60_000);

describe('the console without authorization', () => {
  it('answers 401 for every page, the data and the stream', async () => {
    for (const route of ['', '/', '/modules/billing', `/clients?client=${ACME}`, '/migrations', '/events', '/api/modules', '/api/stream', '/api/migrations']) {
      const response = await fetch(`${console_}${route}`);
      expect(response.status, route).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Bearer');
      await response.body?.cancel();
    }
    const api = await json(`/console/api/modules`);
    expect(api.body.error.code).toBe('E_CONSOLE_UNAUTHORIZED');
    const wrong = await json(`/console/api/modules`, { headers: { authorization: 'Bearer not-the-token-at-all' } });
    expect(wrong.status).toBe(401);
    const start = await fetch(`${console_}/api/migrations`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hotmod-console': '1' }, body: '{}' });
    expect(start.status).toBe(401);
  });

  it('shows the sign-in page in the browser, refuses a wrong token and lets the right one in', async () => {
    const page = await context.newPage();
    const response = await page.goto(console_);
    expect(response!.status()).toBe(401);
    await page.locator('#sign-in input[name=token]').fill('a-wrong-token-of-some-length');
    await page.locator('#sign-in button').click();
    await page.locator('#sign-in-error').waitFor({ state: 'visible', ...WAIT });
    await page.locator('#sign-in input[name=token]').fill(TOKEN);
    await page.locator('#sign-in button').click();
    await page.locator('#modules').waitFor(WAIT);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'hotmod_console');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/console' });
    expect(session!.value).not.toContain(TOKEN);
    await page.close();
  }, 60_000);
});

describe('the console, signed in', () => {
  // Signed in whether or not the sign-in test ran first (the context's request API shares its cookies).
  beforeAll(async () => {
    const response = await context.request.post(`${console_}/session`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-hotmod-console': '1' } });
    expect(response.status()).toBe(204);
  });

  it('modules: the table matches host.status() and is updated live', async () => {
    const page = await context.newPage();
    await page.goto(console_);
    await page.locator('#live.on').waitFor(WAIT);
    const { body } = await json<{ modules: { id: string; version: string; state: string }[] }>('/modules');
    expect(await page.locator('#modules tbody tr').count()).toBe(body.modules.length);
    for (const m of body.modules) {
      const row = page.locator(`#modules tr[data-module="${m.id}"]`);
      await expect.poll(() => row.locator('[data-field=version]').textContent(), WAIT).toBe(m.version);
      await expect.poll(() => row.locator('[data-field=state]').textContent(), WAIT).toBe(m.state);
    }
    // Calls show up without a reload: invoke billing over HTTP, watch the counter move.
    const before = Number(await page.locator('tr[data-module=billing] [data-field=calls]').textContent());
    const quote = { lines: [{ description: 'Pro plan', quantity: 1, unitPriceCents: 1000 }] };
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${server.url}/clients/${ACME}/invoke/billing.invoices/quote`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(quote) });
      expect(r.status).toBe(200);
      await r.body?.cancel();
    }
    await expect.poll(async () => Number(await page.locator('tr[data-module=billing] [data-field=calls]').textContent()), WAIT).toBeGreaterThanOrEqual(before + 5);
    const metrics = await json<{ modules: { id: string; metrics: { calls: number } }[] }>('/modules');
    expect(metrics.body.modules.find((m) => m.id === 'billing')!.metrics.calls).toBeGreaterThanOrEqual(before + 5);
    expect(await page.locator('tr[data-module=billing] [data-field=heap]').textContent()).toMatch(/MB|kB/);
    expect(await page.locator('tr[data-module=billing] [data-field=p99]').textContent()).toMatch(/ ms$/);
    expect(await page.locator('tr[data-module=billing] [data-field=activatedAt]').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(in \d+ ms\)$/);
    await shot(page, 'modules');
    await page.close();
  }, 90_000);

  it('watches a swap live: a module edited on disk changes version on the open page, and the event appears', async () => {
    const page = await context.newPage();
    await page.goto(console_);
    await page.locator('#live.on').waitFor(WAIT);
    await page.evaluate(() => ((globalThis as unknown as { __stayed: boolean }).__stayed = true));
    const events = await context.newPage();
    await events.goto(`${console_}/events`);
    await events.locator('#live.on').waitFor(WAIT);
    expect(await page.locator('tr[data-module=notifications] [data-field=version]').textContent()).toBe('1.0.0');

    const pkgPath = path.join(tmp, 'modules/notifications/package.json');
    const pkg = JSON.parse(await readFile(pkgPath, 'utf8'));
    pkg.version = '1.0.1';
    for (const cap of Object.keys(pkg.hotmod.provides)) pkg.hotmod.provides[cap] = '1.0.1';
    await writeFile(pkgPath, JSON.stringify(pkg, null, 2));

    await expect.poll(() => page.locator('tr[data-module=notifications] [data-field=version]').textContent(), { timeout: 60_000 }).toBe('1.0.1');
    expect(await page.evaluate(() => (globalThis as unknown as { __stayed?: boolean }).__stayed)).toBe(true); // no reload: the stream did it
    await events.locator('#events li[data-type="module:swapped"]').first().waitFor({ timeout: 60_000 });
    expect(await events.locator('#events li[data-type="module:swapped"]').first().textContent()).toContain('swapped notifications 1.0.0 → 1.0.1');
    const { body } = await json<{ modules: { id: string; version: string }[] }>('/modules');
    expect(body.modules.find((m) => m.id === 'notifications')!.version).toBe('1.0.1');
    await shot(events, 'events');
    await events.close();
    await page.close();
  }, 120_000);

  it("a module's page: manifest, requirements, dependents, recent failures", async () => {
    const page = await context.newPage();
    await page.goto(`${console_}/modules/billing`);
    const status = (await json<{ modules: { id: string; version: string; bindings: Record<string, string>; requires: Record<string, string> }[] }>('/modules')).body.modules;
    const billing = status.find((m) => m.id === 'billing')!;
    expect(await page.locator('h1').textContent()).toBe('Module billing');
    expect(await page.locator('#manifest').textContent()).toContain(billing.version);
    const manifest = JSON.parse((await page.locator('#manifest-full pre').textContent())!) as { id: string; version: string; legacyIds: string[] };
    expect(manifest).toMatchObject({ id: 'billing', version: billing.version });
    expect(manifest.legacyIds).toEqual(['billing-v1']); // from modules/billing/package.json
    for (const [cap, range] of Object.entries(billing.requires)) {
      const row = page.locator('#requirements tr', { hasText: cap });
      expect(await row.textContent()).toContain(range);
      expect(await row.locator('a').textContent()).toBe(billing.bindings[cap]);
    }
    await expect.poll(() => page.locator('[data-module=billing] [data-field=state]').textContent(), WAIT).toBe('active');
    expect(await page.locator('#failures').textContent()).toContain('None since the console started');
    // payments' dependents: the modules bound to it.
    await page.goto(`${console_}/modules/payments`);
    const dependents = status.filter((m) => Object.values(m.bindings).includes('payments')).map((m) => m.id).sort();
    expect(dependents).toContain('billing');
    expect((await page.locator('#dependents a').allTextContents()).sort()).toEqual(dependents);
    await shot(page, 'module-payments');
    expect((await page.goto(`${console_}/modules/nope`))!.status()).toBe(404);
    await page.close();
  }, 60_000);

  it("client search: the client's unified view, each module explained", async () => {
    const page = await context.newPage();
    await page.goto(`${console_}/clients`);
    await page.locator('#client-search input[name=client]').fill(ACME);
    await page.locator('#client-search button').click();
    await page.locator('#client-modules').waitFor(WAIT);
    const { body } = await json<{ modules: { moduleId: string; enabled: boolean }[] }>(`/clients/${ACME}/modules`);
    for (const m of body.modules) {
      const row = page.locator(`tr[data-client-module="${m.moduleId}"]`);
      expect(await row.locator('td').nth(1).textContent(), m.moduleId).toBe(m.enabled ? 'yes' : 'no');
      const explained = await json<{ serves: boolean; text: string[] }>(`/clients/${ACME}/modules/${m.moduleId}/explain`);
      expect(await row.locator('[data-field=serves]').textContent()).toMatch(explained.body.serves ? /^serves/ : /^does not serve/);
      expect(await row.locator('ol.explanation li').allTextContents()).toEqual(explained.body.text);
    }
    await page.locator('tr[data-client-module=payments] summary').click();
    expect(await page.locator('tr[data-client-module=payments] ol.explanation').textContent()).toContain('billing requires');
    await page.locator('tr[data-client-module=analytics] summary').click();
    expect(await page.locator('tr[data-client-module=analytics] ol.explanation').textContent()).toContain(`hotmod clients enable ${ACME} analytics`);
    await shot(page, 'client');
    await page.goto(`${console_}/clients?client=${encodeURIComponent('not a client id')}`);
    expect(await page.locator('#client-error').textContent()).toContain('E_CLIENT_ID_INVALID');
    await page.close();
  }, 90_000);

  it('migrations: a run progresses live, is verified, and rolls back only once confirmed', async () => {
    const page = await context.newPage();
    await page.goto(`${console_}/migrations`);
    await page.locator('#live.on').waitFor(WAIT);
    await page.locator('#start-run input[name=batchSize]').fill('100');
    await page.locator('#start-run button[type=submit]').click();
    await page.locator('#run-status[data-state=finished]').waitFor({ timeout: 120_000 });
    const seen = (await page.locator('#run-progress').getAttribute('data-seen'))!.split(',').map(Number);
    // Moved through several values on the way (batches of 100 over ~1,500 clients), ending at 100.
    expect(seen.length).toBeGreaterThan(2);
    expect(seen[seen.length - 1]).toBe(100);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    const summary = await page.locator('#run-summary').textContent();
    expect(summary).toMatch(/verification: \d+ checked, \d+ unchanged, 0 mismatches/);
    await shot(page, 'migration-finished');

    const runs = (await json<{ runs: { runId: string; status: string; migrated: number }[] }>('/console/api/migrations', { headers: { authorization: `Bearer ${TOKEN}` } })).body.runs;
    const run = runs[0]!;
    expect(run.migrated).toBeGreaterThanOrEqual(BULK_CLIENTS);
    const row = page.locator(`#run-rows tr[data-run="${run.runId}"]`);
    await expect.poll(() => row.getAttribute('data-status'), WAIT).toBe(run.status);

    await row.locator('button.verify').click();
    const result = row.locator('.run-result');
    await expect.poll(() => result.getAttribute('data-outcome'), WAIT).toBe('ok');
    expect(await result.textContent()).toMatch(/0 mismatches/);

    await row.locator('button.rollback').click();
    await row.locator('.confirm-input').fill('not-the-run-id');
    await row.locator('button.confirm-rollback').click();
    await expect.poll(() => result.getAttribute('data-outcome'), WAIT).toBe('error');
    expect(await result.textContent()).toContain('E_CONSOLE_CONFIRMATION_REQUIRED');
    await row.locator('.confirm-input').fill(run.runId);
    await row.locator('button.confirm-rollback').click();
    await page.locator(`#run-rows tr[data-run="${run.runId}"][data-status=rolled_back]`).waitFor({ timeout: 120_000 });
    const after = (await json<{ runs: { runId: string; status: string }[] }>('/console/api/migrations', { headers: { authorization: `Bearer ${TOKEN}` } })).body.runs;
    expect(after.find((r) => r.runId === run.runId)!.status).toBe('rolled_back');
    await shot(page, 'migration-rolled-back');
    await page.close();
  }, 240_000);

  it('a module added under the watcher appears on the open page; its failure shows on its own page', async () => {
    const page = await context.newPage();
    await page.goto(console_);
    await page.locator('#live.on').waitFor(WAIT);
    expect(await page.locator('tr[data-module=crashy]').count()).toBe(0);
    // A module whose activate throws (eager): the watcher adds it, the host fails it.
    await cp(path.join(root, 'tests/fixtures/explain/modules/crashy'), path.join(tmp, 'modules/crashy'), { recursive: true });
    const row = page.locator('tr[data-module=crashy]');
    await row.waitFor({ timeout: 60_000 });
    await expect.poll(() => row.locator('[data-field=state]').textContent(), { timeout: 60_000 }).toBe('failed');
    // It is restarted with backoff until the crash budget is spent: then it stays failed (quarantined).
    const crashy = async () => (await json<{ modules: { id: string; state: string; quarantined?: boolean }[] }>('/modules')).body.modules.find((m) => m.id === 'crashy');
    await expect.poll(async () => (await crashy())?.quarantined, { timeout: 60_000 }).toBe(true);
    expect((await crashy())?.state).toBe('failed');
    await expect.poll(() => row.locator('[data-field=state]').textContent(), WAIT).toBe('failed');
    await page.goto(`${console_}/modules/crashy`);
    expect(await page.locator('#reason').textContent()).toContain('license server unreachable');
    expect(await page.locator('#failures li').first().textContent()).toContain('crashy@0.1.0 failed');
    await shot(page, 'module-failed');
    await page.close();
  }, 120_000);

  it('the events page lists what the host reported, newest first', async () => {
    const page = await context.newPage();
    await page.goto(`${console_}/events`);
    const types = await page.locator('#events li').evaluateAll((els) => els.map((el) => (el as unknown as { dataset: Record<string, string> }).dataset.type));
    expect(types).toContain('module:activated');
    const seqs = await page.locator('#events li').evaluateAll((els) => els.map((el) => Number((el as unknown as { dataset: Record<string, string> }).dataset.seq)));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    await page.close();
  }, 60_000);
});

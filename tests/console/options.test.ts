/**
 * The console's option: never open by default, one guard or the other, under the routes
 * prefix; the application's authorize() hook deciding (real Fastify, real host over the
 * fixture modules, requests over a real port).
 */
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotmodPlugin } from '../../src/fastify/index.js';

const MODULES = path.resolve(import.meta.dirname, '../fixtures/explain/modules');
const hostOptions = { modulesDir: MODULES, store: 'none', configFile: false } as const;

async function registerWith(options: Record<string, unknown>): Promise<unknown> {
  const app = Fastify();
  try {
    await app.register(hotmodPlugin, { hostOptions, ...options });
    await app.ready();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await app.close();
  }
}

describe('the console option', () => {
  it('is refused without a guard, with both guards, with a short token, or without routes', async () => {
    for (const [options, words] of [
      [{ routes: true, console: {} }, 'never open by default'],
      [{ routes: true, console: { bearerToken: 'x'.repeat(20), authorize: () => true } }, 'give one'],
      [{ routes: true, console: { bearerToken: 'short' } }, 'at least 16'],
      [{ console: { bearerToken: 'x'.repeat(20) } }, 'routes prefix'],
    ] as const) {
      const error = (await registerWith(options)) as { code?: string; message?: string };
      expect(error?.code, JSON.stringify(options)).toBe('E_PLUGIN_OPTIONS_INVALID');
      expect(error.message).toContain(words);
    }
  }, 60_000);

  it('without the option there is no console at all', async () => {
    const app = Fastify();
    await app.register(hotmodPlugin, { hostOptions, routes: { prefix: '/hotmod' } });
    const response = await app.inject({ method: 'GET', url: '/hotmod/console' });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('E_ROUTE_NOT_FOUND');
    await app.close();
  }, 60_000);
});

describe('a console guarded by the application', () => {
  let app: FastifyInstance;
  let base = '';
  beforeAll(async () => {
    app = Fastify();
    await app.register(hotmodPlugin, {
      hostOptions,
      routes: { prefix: '/ops' },
      console: { authorize: (request) => request.headers['x-operator'] === 'alice' },
    });
    base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/ops/console`;
  }, 60_000);
  afterAll(() => app?.close());

  it('lets in what authorize() approves, under the routes prefix', async () => {
    const ok = await fetch(`${base}/api/modules`, { headers: { 'x-operator': 'alice' } });
    expect(ok.status).toBe(200);
    const { modules } = (await ok.json()) as { modules: { id: string }[] };
    expect(modules.map((m) => m.id)).toEqual(app.hotmod.status().map((s) => s.id));
    const page = await fetch(base, { headers: { 'x-operator': 'alice' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('data-base="/ops/console"');
  });

  it('answers 401 to anything else, and the sign-in page says to sign in through the application', async () => {
    const refused = await fetch(`${base}/api/modules`, { headers: { 'x-operator': 'mallory' } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('E_CONSOLE_UNAUTHORIZED');
    const page = await fetch(base, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('sign in through it');
    // No token exchange when the application guards the console.
    const session = await fetch(`${base}/session`, { method: 'POST', headers: { authorization: 'Bearer anything-at-all-here' } });
    expect(session.status).toBe(401);
  });

  it('refuses a write without the x-hotmod-console header (cross-site guard)', async () => {
    const response = await fetch(`${base}/api/migrations`, { method: 'POST', headers: { 'x-operator': 'alice', 'content-type': 'application/json' }, body: '{}' });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toContain('x-hotmod-console');
  });

  it('a host without a store: the migrations API says what it needs', async () => {
    const response = await fetch(`${base}/api/migrations`, { headers: { 'x-operator': 'alice' } });
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('E_HOST_NOT_READY');
  });
});

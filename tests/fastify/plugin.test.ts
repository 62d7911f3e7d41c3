/**
 * The Fastify plugin on an in-process Fastify with `inject`: a real host (real isolates,
 * in-memory PGlite store) over the modules in tests/fixtures/fastify-plugin.
 */
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHost, isHotmodError, type Host } from '../../src/index.js';
import { tokens } from '../../src/index.js';
import { initLegacySchema, type Store } from '../../src/legacy-bridge/index.js';
import hotmodPlugin, { FastifyErrorCode, hotmodErrorHandler, httpStatusForCode } from '../../src/fastify/index.js';

const modulesDir = path.resolve(import.meta.dirname, '../fixtures/fastify-plugin');
const CLIENT = 'client-a';
const apps: FastifyInstance[] = [];
const hostOptions = { modulesDir, store: 'memory' };

/** Fastify with a generous plugin timeout: opening PGlite on a loaded 2-core machine can take seconds. */
function newFastify(): FastifyInstance {
  const app = Fastify({ logger: false, pluginTimeout: 60_000 });
  apps.push(app);
  return app;
}

function json(body: string): any {
  return JSON.parse(body);
}

afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((app) => app.close()));
});

// The route tests share one app (one host, one in-memory store); each uses its own clients.
let shared: FastifyInstance;
beforeAll(async () => {
  shared = Fastify({ logger: false, pluginTimeout: 60_000 });
  await shared.register(hotmodPlugin, { hostOptions, routes: { prefix: '/hotmod' } });
  await shared.ready();
}, 90_000);
afterAll(async () => {
  await shared?.close();
});
async function appWithRoutes(): Promise<FastifyInstance> {
  return shared;
}

describe('hotmodPlugin: host lifecycle', () => {
  it('decorates fastify.hotmod, starts the host on register and stops it on close', async () => {
    const app = newFastify();
    await app.register(hotmodPlugin, { hostOptions });
    await app.ready();
    const host: Host = app.hotmod;
    expect(host.status().find((m) => m.id === 'echo')?.state).toBe('active');
    expect(await host.client(CLIENT).invoke('echo.api', 'echo', { n: 1 })).toEqual({ n: 1 });
    await app.close();
    const after = await host.client(CLIENT).invoke('echo.api', 'echo', 1).then(
      () => 'answered',
      (error: unknown) => (isHotmodError(error) ? error.code : String(error)),
    );
    expect(after).toBe('E_HOST_NOT_RUNNING');
  });

  it('uses a host that is already started as it is, and closeHost: false leaves it running', async () => {
    const host = await createHost(hostOptions);
    await host.start();
    try {
      const app = newFastify();
      await app.register(hotmodPlugin, { host, closeHost: false });
      await app.ready();
      expect(app.hotmod).toBe(host);
      await app.close();
      expect(await host.client(CLIENT).invoke('echo.api', 'echo', 'still here')).toBe('still here');
    } finally {
      await host.stop();
    }
  });

  it('refuses both or neither of host / hostOptions, and a prefix that is not a path', async () => {
    for (const options of [{}, { host: {} as Host, hostOptions }, { routes: { prefix: 'hotmod/' }, hostOptions }]) {
      const app = newFastify();
      const error = await app.register(hotmodPlugin, options).ready().then(() => undefined, (e: unknown) => e);
      expect(isHotmodError(error, FastifyErrorCode.PLUGIN_OPTIONS_INVALID), String(error)).toBe(true);
      expect((error as Error).message).toMatch(/hotmod plugin: (give exactly one|routes\.prefix)/);
      await app.close().catch(() => undefined);
    }
  });

  it('GET /health answers 503 once the app stops the host itself, outside the plugin', async () => {
    const host = await createHost(hostOptions);
    const app = newFastify();
    await app.register(hotmodPlugin, { host, closeHost: false, routes: { prefix: '/hotmod' } });
    await app.ready();
    expect(host.phase).toBe('running');
    expect((await app.inject({ method: 'GET', url: '/hotmod/health' })).statusCode).toBe(200);
    await host.stop();
    expect(host.phase).toBe('stopped');
    const response = await app.inject({ method: 'GET', url: '/hotmod/health' });
    expect(response.statusCode).toBe(503);
    expect(json(response.body)).toMatchObject({ status: 'unavailable', state: 'stopped', error: { code: FastifyErrorCode.HOST_NOT_READY } });
  });

  it('mounts no routes unless asked', async () => {
    const app = newFastify();
    await app.register(hotmodPlugin, { host: shared.hotmod, closeHost: false });
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(404);
    expect(json(response.body).error).not.toHaveProperty('code', FastifyErrorCode.ROUTE_NOT_FOUND);
  });
});

describe('hotmodPlugin: routes', () => {
  it('GET /health reports the host state and module counts', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({ method: 'GET', url: '/hotmod/health' });
    expect(response.statusCode).toBe(200);
    const body = json(response.body);
    expect(body).toMatchObject({ status: 'ok', state: 'running', modules: { total: 2, byState: { active: 2 } } });
  });

  it('GET /modules lists every module with its state', async () => {
    const app = await appWithRoutes();
    const body = json((await app.inject({ method: 'GET', url: '/hotmod/modules' })).body);
    expect(body.modules.map((m: { id: string; state: string }) => `${m.id}:${m.state}`).sort()).toEqual(['echo:active', 'hidden:active']);
  });

  it('POST invoke passes the JSON body as input and answers { result }', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({
      method: 'POST',
      url: `/hotmod/clients/${CLIENT}/invoke/echo.api/echo`,
      payload: { total: 10, items: ['a'] },
    });
    expect(response.statusCode).toBe(200);
    expect(json(response.body)).toEqual({ result: { total: 10, items: ['a'] } });
  });

  it('POST invoke hands x-request-id to the module and echoes it; nothing returned answers null', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({
      method: 'POST',
      url: `/hotmod/clients/${CLIENT}/invoke/echo.api/whoami`,
      headers: { 'x-request-id': 'req-42' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toBe('req-42');
    expect(json(response.body).result).toMatchObject({ clientId: CLIENT, requestId: 'req-42', version: '1.0.0' });
    const nothing = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/nothing` });
    expect(json(nothing.body)).toEqual({ result: null });
  });

  it('maps E_CALL_TIMEOUT to 504, with the timeout from the query or the timeout-ms header', async () => {
    const app = await appWithRoutes();
    for (const request of [
      { url: `/hotmod/clients/${CLIENT}/invoke/echo.api/hang?timeoutMs=150` },
      { url: `/hotmod/clients/${CLIENT}/invoke/echo.api/hang`, headers: { 'timeout-ms': '150' } },
    ]) {
      const response = await app.inject({ method: 'POST', ...request });
      expect(response.statusCode, response.body).toBe(504);
      expect(json(response.body).error.code).toBe('E_CALL_TIMEOUT');
      expect(json(response.body).error.message).toMatch(/echo/);
    }
  });

  it('maps E_NOT_ENABLED to 403 and a capability no module provides to 404', async () => {
    const app = await appWithRoutes();
    const hidden = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/hidden.api/ping` });
    expect(hidden.statusCode).toBe(403);
    expect(json(hidden.body).error).toMatchObject({ code: 'E_NOT_ENABLED' });
    expect(json(hidden.body).error.message).toMatch(/hidden/);
    const missing = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/nope.api/ping` });
    expect(missing.statusCode).toBe(404);
    expect(json(missing.body).error.code).toBe('E_NO_PROVIDER');
  });

  it('answers a method that throws with its HotmodError code, and the status of that code', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/fail`, payload: { x: 1 } });
    const error = json(response.body).error;
    expect(error.code).toMatch(/^E_[A-Z_]+$/);
    expect(error.code).not.toBe(FastifyErrorCode.INTERNAL);
    expect(error.message).toMatch(/echo failed on purpose/);
    expect(response.statusCode).toBe(httpStatusForCode(error.code));
    expect(response.statusCode).toBeGreaterThanOrEqual(500);
  });

  it('validates params, query, headers and bodies with E_BAD_REQUEST (400) and the JSON error shape', async () => {
    const app = await appWithRoutes();
    const cases = [
      { method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/1bad` },
      { method: 'POST', url: `/hotmod/clients/-bad%20id/invoke/echo.api/echo` },
      { method: 'GET', url: `/hotmod/clients/bad!id/modules` },
      { method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/echo?timeoutMs=soon` },
      { method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/echo`, headers: { 'timeout-ms': '0' } },
      { method: 'PUT', url: `/hotmod/clients/${CLIENT}/overrides`, payload: { modulesEnabled: [1] } },
      { method: 'PUT', url: `/hotmod/clients/${CLIENT}/overrides`, payload: { modulesEnabled: ['echo'], extra: true } },
      { method: 'PUT', url: `/hotmod/clients/${CLIENT}/overrides`, payload: { modules: ['echo'] } },
      { method: 'POST', url: `/hotmod/clients/${CLIENT}/modules/echo/enable`, payload: { useAdvanced: 'yes' } },
    ] as const;
    for (const request of cases) {
      const response = await app.inject(request as never);
      expect(response.statusCode, `${request.method} ${request.url}: ${response.body}`).toBe(400);
      const error = json(response.body).error;
      expect(error.code).toBe(FastifyErrorCode.BAD_REQUEST);
      expect(error.message).toMatch(/refused: .+; fix the (body|params|querystring|headers)/);
      expect(error.details.validation.length).toBeGreaterThan(0);
    }
  });

  it('answers an unparsable JSON body with E_BAD_REQUEST and the Fastify code', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({
      method: 'POST',
      url: `/hotmod/clients/${CLIENT}/invoke/echo.api/echo`,
      headers: { 'content-type': 'application/json' },
      payload: '{"total": ',
    });
    expect(response.statusCode).toBe(400);
    expect(json(response.body).error).toMatchObject({ code: 'E_BAD_REQUEST', details: { fastifyCode: 'FST_ERR_CTP_INVALID_JSON_BODY' } });
  });

  it('answers an unknown route under the prefix with E_ROUTE_NOT_FOUND and leaves the application’s errors alone', async () => {
    const app = newFastify();
    app.get('/app/boom', async () => {
      throw new Error('application error');
    });
    await app.register(hotmodPlugin, { host: shared.hotmod, closeHost: false, routes: { prefix: '/hotmod' } });
    const unknown = await app.inject({ method: 'GET', url: '/hotmod/nope' });
    expect(unknown.statusCode).toBe(404);
    expect(json(unknown.body).error.code).toBe(FastifyErrorCode.ROUTE_NOT_FOUND);
    const appError = await app.inject({ method: 'GET', url: '/app/boom' });
    expect(appError.statusCode).toBe(500);
    expect(json(appError.body)).toMatchObject({ message: 'application error' });
  });

  it('answers an unknown method with 404 E_UNKNOWN_METHOD (issue 18.3)', async () => {
    const app = await appWithRoutes();
    const response = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/nosuch`, payload: {} });
    expect(response.statusCode, response.body).toBe(404);
    expect(json(response.body).error.code).toBe('E_UNKNOWN_METHOD');
  });

  it('refuses bodies nested past the depth limit (400), over the size limit (413) and not JSON (415) before a module sees them (issue 18.3)', async () => {
    const app = await appWithRoutes();
    const url = `/hotmod/clients/${CLIENT}/invoke/echo.api/echo`;
    const callsBefore = app.hotmod.status().find((m) => m.id === 'echo')!.metrics.calls;
    const deep = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '['.repeat(100_000) + ']'.repeat(100_000) });
    expect(deep.statusCode, deep.body).toBe(400);
    expect(json(deep.body).error).toMatchObject({ code: 'E_BAD_REQUEST', details: { maxDepth: 64 } });
    // A string full of brackets is not nesting.
    const inString = await app.inject({ method: 'POST', url, payload: { text: '[{'.repeat(1000) } });
    expect(inString.statusCode, inString.body).toBe(200);
    const big = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ s: 'x'.repeat(1024 * 1024) }) });
    expect(big.statusCode).toBe(413);
    expect(json(big.body).error).toMatchObject({ code: 'E_BAD_REQUEST', details: { fastifyCode: 'FST_ERR_CTP_BODY_TOO_LARGE' } });
    const plain = await app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'hello' });
    expect(plain.statusCode).toBe(415);
    expect(json(plain.body).error).toMatchObject({ code: 'E_BAD_REQUEST', details: { fastifyCode: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' } });
    expect(app.hotmod.status().find((m) => m.id === 'echo')!.metrics.calls).toBe(callsBefore + 1);
    // At the limit it still passes.
    const atLimit = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '['.repeat(64) + ']'.repeat(64) });
    expect(atLimit.statusCode, atLimit.body).toBe(200);
  });

  it('mounted at the root, answers its own paths with a wrong method, and /clients/…, with a coded 404, and leaves the application’s 404s alone (issue 18.3)', async () => {
    const app = newFastify();
    await app.register(hotmodPlugin, { host: shared.hotmod, closeHost: false, routes: true });
    for (const [method, url] of [['GET', `/clients/${CLIENT}/invoke/echo.api/echo`], ['DELETE', '/health'], ['GET', `/clients/${CLIENT}/nothing/here`]] as const) {
      const response = await app.inject({ method, url });
      expect(response.statusCode, `${method} ${url}`).toBe(404);
      expect(json(response.body).error.code).toBe(FastifyErrorCode.ROUTE_NOT_FOUND);
    }
    const other = await app.inject({ method: 'GET', url: '/not-hotmod' });
    expect(other.statusCode).toBe(404);
    expect(json(other.body)).not.toHaveProperty('error.code');
  });

  it('enables and disables a module for a client through the unifier', async () => {
    const app = await appWithRoutes();
    // Unifier writes refuse a client neither system knows (E_CLIENT_UNKNOWN): give it a registry row first.
    const store = app.hotmod.container.resolve(tokens.STORE) as Store;
    await store.query(`INSERT INTO hotmod_module_configs (client_id, module_id, enabled) VALUES ($1, 'echo', true) ON CONFLICT DO NOTHING`, [CLIENT]);
    const before = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/hidden.api/ping` });
    expect(before.statusCode).toBe(403);

    const enable = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/modules/hidden/enable` });
    expect(enable.statusCode, enable.body).toBe(200);
    expect(json(enable.body)).toMatchObject({ clientId: CLIENT, moduleId: 'hidden', enabled: true, module: { moduleId: 'hidden', enabled: true } });
    const listed = json((await app.inject({ method: 'GET', url: `/hotmod/clients/${CLIENT}/modules` })).body);
    expect(listed.modules.find((m: { moduleId: string }) => m.moduleId === 'hidden')).toMatchObject({ enabled: true });
    const after = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/hidden.api/ping` });
    expect(json(after.body)).toEqual({ result: 'pong' });

    const disable = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/modules/hidden/disable`, payload: {} });
    expect(disable.statusCode, disable.body).toBe(200);
    expect(json(disable.body)).toMatchObject({ enabled: false, module: { moduleId: 'hidden', enabled: false } });
    const again = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/hidden.api/ping` });
    expect(again.statusCode).toBe(403);
  });

  it('GET / PUT /clients/:id/overrides and POST .../reset go through the legacy API', async () => {
    const app = await appWithRoutes();
    await initLegacySchema(app.hotmod.container.resolve(tokens.STORE) as Store, { demo: true });
    const stark = '0d7c9f3e-1a2b-4c5d-8e6f-000000000006'; // a demo client without a legacy row

    const missing = await app.inject({ method: 'GET', url: `/hotmod/clients/${stark}/overrides` });
    expect(missing.statusCode).toBe(404);
    expect(json(missing.body).error).toMatchObject({ code: FastifyErrorCode.OVERRIDES_NOT_FOUND, details: { clientId: stark } });
    expect(json(missing.body).error.message).toMatch(/PUT \/clients\/.+\/overrides/);

    const put = await app.inject({ method: 'PUT', url: `/hotmod/clients/${stark}/overrides`, payload: { modulesEnabled: ['echo', 'hidden'] } });
    expect(put.statusCode, put.body).toBe(200);
    expect(json(put.body)).toMatchObject({ client_id: stark, modules_enabled: ['echo', 'hidden'] });
    const got = await app.inject({ method: 'GET', url: `/hotmod/clients/${stark}/overrides` });
    expect(json(got.body)).toMatchObject({ client_id: stark, modules_enabled: ['echo', 'hidden'] });
    // The legacy write reaches the running host: hidden is now callable for this client.
    const ping = await app.inject({ method: 'POST', url: `/hotmod/clients/${stark}/invoke/hidden.api/ping` });
    expect(json(ping.body)).toEqual({ result: 'pong' });

    const reset = await app.inject({ method: 'POST', url: `/hotmod/clients/${stark}/overrides/reset` });
    expect(reset.statusCode, reset.body).toBe(200);
    expect(json(reset.body)).toMatchObject({ client_id: stark, modules_enabled: ['echo'] }); // the defaultEnabled set

    const notUuid = await app.inject({ method: 'PUT', url: `/hotmod/clients/${CLIENT}/overrides`, payload: { modulesEnabled: [] } });
    expect(notUuid.statusCode).toBe(400);
    expect(json(notUuid.body).error.code).toBe('E_CLIENT_ID_INVALID');
    const unknown = await app.inject({
      method: 'PUT',
      url: '/hotmod/clients/00000000-0000-4000-8000-000000000000/overrides',
      payload: { modulesEnabled: [] },
    });
    expect(unknown.statusCode, unknown.body).toBe(404);
    expect(json(unknown.body).error.code).toBe('E_CLIENT_NOT_FOUND');
  });

  it('hotmodErrorHandler gives an application route calling the host the same error shape and status', async () => {
    const app = newFastify();
    await app.register(hotmodPlugin, { host: shared.hotmod, closeHost: false });
    app.register(async (scope) => {
      scope.setErrorHandler(hotmodErrorHandler);
      scope.post<{ Body: unknown }>('/app/ping', async () => ({ pong: await app.hotmod.client(CLIENT).invoke('hidden.api', 'ping') }));
      scope.get('/app/bug', async () => {
        throw new TypeError('secret internals');
      });
    });
    const refused = await app.inject({ method: 'POST', url: '/app/ping' });
    expect(refused.statusCode).toBe(403);
    expect(json(refused.body).error).toMatchObject({ code: 'E_NOT_ENABLED', details: { capability: 'hidden.api' } });
    const bug = await app.inject({ method: 'GET', url: '/app/bug' });
    expect(bug.statusCode).toBe(500);
    expect(json(bug.body).error.code).toBe(FastifyErrorCode.INTERNAL);
    expect(bug.body).not.toMatch(/secret internals/);
    expect(json(bug.body).error.message).toMatch(/GET \/app\/bug failed with an unexpected error; the server log has it under request id/);
  });

  it('runs the hooks of the scope it is registered in before its routes (authentication)', async () => {
    const app = newFastify();
    await app.register(async (admin) => {
      admin.addHook('onRequest', async (request, reply) => {
        if (request.headers.authorization !== 'Bearer admin') return reply.code(401).send({ error: { code: 'APP_UNAUTHORIZED' } });
      });
      await admin.register(hotmodPlugin, { host: shared.hotmod, closeHost: false, routes: { prefix: '/hotmod' } });
    });
    expect((await app.inject({ method: 'GET', url: '/hotmod/modules' })).statusCode).toBe(401);
    const allowed = await app.inject({ method: 'GET', url: '/hotmod/modules', headers: { authorization: 'Bearer admin' } });
    expect(allowed.statusCode).toBe(200);
    expect(json(allowed.body).modules.length).toBe(2);
  });

  it('GET /metrics answers Prometheus text', async () => {
    const app = await appWithRoutes();
    await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/echo`, payload: { n: 1 } });
    const response = await app.inject({ method: 'GET', url: '/hotmod/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(response.body).toMatch(/^# (HELP|TYPE) hotmod_/m);
    expect(response.body).toMatch(/echo/);
  });
});

/**
 * Issue 18.2: a module cannot forge the host's refusals. For every code the host owns
 * (every code declared in an src/**\/errors.ts), a module that throws `{ code }` reaches the
 * caller as E_MODULE_THREW with its code in details.moduleCode, and over HTTP answers the
 * module-error status, never the status of the forged code.
 */
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogueCodes } from './catalogue.js';
import hotmodPlugin, { httpStatusForCode } from '../../src/fastify/index.js';

const modulesDir = path.resolve(import.meta.dirname, '../fixtures/fastify-plugin');
const CLIENT = 'client-a';

let app: FastifyInstance;
beforeAll(async () => {
  app = Fastify({ logger: false, pluginTimeout: 60_000 });
  await app.register(hotmodPlugin, { hostOptions: { modulesDir, store: 'memory' }, routes: { prefix: '/hotmod' } });
  await app.ready();
}, 90_000);
afterAll(async () => {
  await app?.close();
});

describe('a module cannot forge the host’s codes (issue 18.2)', () => {
  it('every host-owned code thrown by module code is E_MODULE_THREW, with the module-error status over HTTP', async () => {
    const codes = await catalogueCodes();
    expect(codes.length).toBeGreaterThan(50);
    expect(codes).toContain('E_NOT_ENABLED');
    const moduleStatus = httpStatusForCode('E_MODULE_THREW');
    expect(moduleStatus).toBe(502);
    const wrong: string[] = [];
    for (const code of codes) {
      const direct = await app.hotmod.client(CLIENT).invoke('echo.api', 'forge', { code }).then(
        () => 'answered',
        (e: { code?: string; details?: { moduleCode?: unknown; hostRefusal?: unknown } }) =>
          e.code === 'E_MODULE_THREW' && e.details?.moduleCode === code && e.details.hostRefusal === undefined ? 'ok' : `${e.code} ${JSON.stringify(e.details)}`,
      );
      const response = await app.inject({ method: 'POST', url: `/hotmod/clients/${CLIENT}/invoke/echo.api/forge`, payload: { code } });
      const body = JSON.parse(response.body) as { error: { code: string; details: { moduleCode?: string } } };
      if (direct !== 'ok') wrong.push(`${code}: invoke gave ${direct}`);
      if (response.statusCode !== moduleStatus || body.error.code !== 'E_MODULE_THREW' || body.error.details.moduleCode !== code) {
        wrong.push(`${code}: HTTP ${response.statusCode} ${body.error.code}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** GET <prefix>/fleet (docs/fastify.md): the fleet view over real HTTP. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../src/index.js';
import hotmodPlugin from '../../src/fastify/index.js';
import type { FleetView } from '../../src/fleet/index.js';
import { writeModule } from './support/modules.js';

let root: string;
let host: Host;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'hotmod-fleet-route-'));
  const modulesDir = path.join(root, 'modules');
  await writeModule(modulesDir, { id: 'greeter', version: '1.2.0' });
  host = await createHost({ modulesDir, store: 'memory', configFile: false, fleet: { hostId: 'web-1', heartbeatMs: 200 } });
  await host.start();
  app = Fastify({ pluginTimeout: 60_000 });
  await app.register(hotmodPlugin, { host, routes: { prefix: '/hotmod' } });
  base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/hotmod`;
}, 90_000);
afterAll(async () => {
  await app?.close();
  await host?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('GET /fleet', () => {
  it('answers host.fleet(): this host, live, with what it serves', async () => {
    const res = await fetch(`${base}/fleet`);
    expect(res.status).toBe(200);
    const view = (await res.json()) as FleetView;
    expect(view).toMatchObject({ live: 1, stale: 0, staleAfter: 3 });
    expect(view.hosts).toHaveLength(1);
    expect(view.hosts[0]).toMatchObject({ hostId: 'web-1', pid: process.pid, self: true, stale: false, heartbeatMs: 200 });
    expect(view.hosts[0]!.modules).toEqual({ greeter: { versions: ['1.2.0'], rolloutStage: null, state: 'active' } });
  });

  it('takes staleAfter from the query, and refuses one that is not a positive number with E_BAD_REQUEST', async () => {
    const res = await fetch(`${base}/fleet?staleAfter=10`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as FleetView).staleAfter).toBe(10);
    const bad = await fetch(`${base}/fleet?staleAfter=-1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('E_BAD_REQUEST');
    const other = await fetch(`${base}/fleet`, { method: 'POST' });
    expect(other.status).toBe(404);
  });
});

/**
 * `hotmod rollout` against the real PostgreSQL server (no host needed: the CLI writes the
 * record, hosts apply it), and the Fastify routes over a host with rollouts (PGlite).
 */
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import hotmodPlugin from '../../src/fastify/index.js';
import { createTestDatabase, PG_URL } from '../legacy-bridge/support/stores.js';
import { newHost, waitFor } from '../runtime/helpers.js';
import { modulesDirWith } from './support.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTTY: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe.skipIf(!PG_URL)('hotmod rollout [postgres]', () => {
  it('start, status, pause, resume, abort: human and --json output, coded errors', async () => {
    const db = await createTestDatabase();
    cleanups.push(db.drop);
    const m = await modulesDirWith(['greeter-1', 'greeter-2']);
    cleanups.push(m.remove);
    const store = ['--store', db.url, '--modules', m.dir];

    const started = await run(['rollout', 'start', 'greeter@2.0.0', ...store, '--stages', '10,50,100', '--bake', '30s', '--max-error-rate', '2%', '--max-p99', '200ms', '--clients', 'acme,beta', '--json']);
    expect(started.code, started.err).toBe(0);
    const s = JSON.parse(started.out) as { id: string; state: string; fromVersion: string; stages: number[]; bakeMs: number; budget: Record<string, unknown>; clients: string[] };
    expect(s).toMatchObject({ state: 'pending', fromVersion: '1.0.0', stages: [10, 50, 100], bakeMs: 30_000, budget: { maxErrorRate: 0.02, maxP99Ms: 200, minCalls: 20 }, clients: ['acme', 'beta'] });

    const conflict = await run(['rollout', 'start', 'greeter@2.0.0', ...store, '--json']);
    expect(conflict.code).toBe(1);
    expect(JSON.parse(conflict.out).error.code).toBe('E_ROLLOUT_CONFLICT');

    // Pending (no host has begun it): pause is refused with the state machine's reason.
    const pause = await run(['rollout', 'pause', s.id, '--store', db.url, '--json']);
    expect(JSON.parse(pause.out).error).toMatchObject({ code: 'E_ROLLOUT_STATE' });

    const human = await run(['rollout', 'status', 'greeter', '--store', db.url]);
    expect(human.code).toBe(0);
    expect(human.out).toContain(`${s.id}  greeter 1.0.0 -> 2.0.0  pending`);
    expect(human.out).toContain('named clients first: acme, beta');

    const aborted = await run(['rollout', 'abort', s.id, '--store', db.url, '--reason', 'wrong build', '--json']);
    expect(JSON.parse(aborted.out)).toMatchObject({ state: 'aborted', reason: 'wrong build' });
    const list = await run(['rollout', 'status', '--store', db.url, '--json']);
    expect((JSON.parse(list.out) as { rollouts: { history: { event: string }[] }[] }).rollouts[0]!.history.map((h) => h.event)).toEqual(['start', 'abort']);

    for (const [argv, code] of [
      [['rollout', 'start', 'greeter@9.9.9', ...store, '--json'], 'E_ROLLOUT_VERSION_UNKNOWN'],
      [['rollout', 'start', 'greeter@2.0.0', ...store, '--stages', '50,10', '--json'], 'E_ROLLOUT_INVALID'],
      [['rollout', 'start', 'greeter@2.0.0', ...store, '--bake', 'soon', '--json'], 'E_ROLLOUT_INVALID'],
      [['rollout', 'status', 'ro_nothing', '--store', db.url, '--json'], 'E_ROLLOUT_UNKNOWN'],
    ] as const) {
      const r = await run([...argv]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error.code).toBe(code);
    }
    expect((await run(['rollout', 'launch', '--store', db.url])).code).toBe(2);
  });
});

describe('the /rollouts routes', () => {
  it('start, status, pause, resume, abort over HTTP with coded statuses; a host without rollouts answers 501', async () => {
    const m = await modulesDirWith(['greeter-1']);
    cleanups.push(m.remove);
    const host = await newHost({ modulesDir: m.dir, store: 'memory', watch: true, rollouts: { hostId: 'http', pollIntervalMs: 50, reportIntervalMs: 50 } });
    const app = Fastify({ pluginTimeout: 120_000 });
    await app.register(hotmodPlugin, { host, routes: { prefix: '/hotmod' } });
    await app.ready();
    cleanups.push(() => app.close());
    await m.add('greeter-2');

    expect((await app.inject({ method: 'POST', url: '/hotmod/rollouts', payload: { moduleId: 'greeter' } })).statusCode).toBe(400);
    const bad = await app.inject({ method: 'POST', url: '/hotmod/rollouts', payload: { moduleId: 'greeter', version: '2.0.0', stages: '50,10' } });
    expect([bad.statusCode, bad.json().error.code]).toEqual([400, 'E_ROLLOUT_INVALID']);
    const created = await waitFor(async () => {
      const r = await app.inject({ method: 'POST', url: '/hotmod/rollouts', payload: { moduleId: 'greeter', version: '2.0.0', stages: [100], bake: '1h' } });
      return r.statusCode === 404 ? undefined : r;
    }, 'the watcher to find greeter@2.0.0');
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    expect(created.json()).toMatchObject({ state: 'running', percent: 100 });
    expect(((await host.client('x').invoke('greet.api', 'hello', {})) as { version: string }).version).toBe('2.0.0');

    expect((await app.inject({ method: 'POST', url: `/hotmod/rollouts/${id}/pause` })).json()).toMatchObject({ state: 'paused', stage: 1 });
    const again = await app.inject({ method: 'POST', url: `/hotmod/rollouts/${id}/pause` });
    expect([again.statusCode, again.json().error.code]).toEqual([409, 'E_ROLLOUT_STATE']);
    expect((await app.inject({ method: 'POST', url: `/hotmod/rollouts/greeter/resume` })).json()).toMatchObject({ state: 'running' });
    const aborted = await app.inject({ method: 'POST', url: `/hotmod/rollouts/${id}/abort`, payload: { reason: 'over HTTP' } });
    expect(aborted.json()).toMatchObject({ state: 'aborted', reason: 'over HTTP' });
    expect(((await host.client('x').invoke('greet.api', 'hello', {})) as { version: string }).version).toBe('1.0.0');
    const list = await app.inject({ method: 'GET', url: '/hotmod/rollouts' });
    expect(list.json().rollouts.map((r: { id: string }) => r.id)).toEqual([id]);
    const missing = await app.inject({ method: 'GET', url: '/hotmod/rollouts/nope' });
    expect([missing.statusCode, missing.json().error.code]).toEqual([404, 'E_ROLLOUT_UNKNOWN']);

    const plainHost = await newHost({ modulesDir: m.dir, store: 'none' });
    const plain = Fastify({ pluginTimeout: 120_000 });
    await plain.register(hotmodPlugin, { host: plainHost, routes: true });
    cleanups.push(() => plain.close());
    const off = await plain.inject({ method: 'GET', url: '/rollouts' });
    expect([off.statusCode, off.json().error.code]).toEqual([501, 'E_ROLLOUTS_DISABLED']);
  });
});

/**
 * `hotmod clients why` (offline, over a real PGlite directory and the fixture modules) and
 * the route GET /clients/:id/modules/:moduleId/explain over real HTTP, also as the CLI's
 * --url asks it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { hotmodPlugin } from '../../src/fastify/index.js';
import { initLegacySchema, openStore, type Store } from '../../src/legacy-bridge/index.js';
import { tokens, type ExplainFact } from '../../src/index.js';

const MODULES = path.resolve(import.meta.dirname, '../fixtures/explain/modules');
const CLIENT = '0e000000-0000-4000-8000-0000000000c1';

async function seed(store: Store): Promise<void> {
  await initLegacySchema(store);
  await store.query('INSERT INTO clients (id, name) VALUES ($1, $2)', [CLIENT, 'cli client']);
  await store.query(`INSERT INTO client_app_overrides (client_id, modules_enabled) VALUES ($1, '["billing-v1", "crashy"]'::jsonb)`, [CLIENT]);
}

async function run(...argv: string[]) {
  const io: CliIO & { stdout: string; stderr: string } = {
    stdout: '',
    stderr: '',
    isTTY: false,
    out(text) {
      io.stdout += `${text}\n`;
    },
    err(text) {
      io.stderr += `${text}\n`;
    },
  };
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('hotmod clients why (offline)', () => {
  let dir = '';
  let url = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'hotmod-why-'));
    url = `pglite://${path.join(dir, 'db')}`;
    const store = await openStore(url);
    await seed(store);
    await store.close();
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints short sentences ending with the action', async () => {
    const r = await run('clients', 'why', CLIENT, 'analytics', '--modules', MODULES, '--store', url);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(`why analytics for client ${CLIENT}:`);
    expect(r.stdout).toContain('The list does not name analytics.');
    expect(r.stdout).toContain('No running host was asked');
    expect(lines[lines.length - 1]).toBe(`  To change that: hotmod clients enable ${CLIENT} analytics (or host.unifier.enableModule('${CLIENT}', 'analytics')).`);
  });

  it('--json gives the structured chain', async () => {
    const r = await run('clients', 'why', CLIENT, 'payments', '--modules', MODULES, '--store', url, '--json');
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as { serves: boolean; version: string; facts: ExplainFact[] };
    expect(body.serves).toBe(true);
    expect(body.version).toBe('1.1.0');
    expect(body.facts.find((f) => f.kind === 'implicit')).toMatchObject({ requiredBy: 'billing', chain: ['billing', 'payments'] });
    expect(body.facts.map((f) => f.kind)).toContain('no-host');
  });

  it('refuses a missing module with a usage error', async () => {
    const r = await run('clients', 'why', CLIENT, '--modules', MODULES, '--store', url);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('missing <module>');
  });
});

describe('GET /clients/:id/modules/:moduleId/explain', () => {
  let app: FastifyInstance;
  let base = '';
  beforeAll(async () => {
    app = Fastify({ pluginTimeout: 120_000 });
    await app.register(hotmodPlugin, { hostOptions: { modulesDir: MODULES, store: 'memory', configFile: false, restart: { maxRestarts: 0 } }, routes: { prefix: '/hotmod' } });
    await app.ready();
    await seed(app.hotmod.container.resolve(tokens.STORE));
    base = `${await app.listen({ port: 0, host: '127.0.0.1' })}/hotmod`;
  }, 120_000);
  afterAll(() => app?.close());

  it('answers the chain and its sentences', async () => {
    const response = await fetch(`${base}/clients/${CLIENT}/modules/crashy/explain`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { serves: boolean; facts: ExplainFact[]; text: string[] };
    expect(body.serves).toBe(false);
    expect(body.facts.find((f) => f.kind === 'lifecycle')).toMatchObject({ state: 'failed' });
    expect(body.facts[body.facts.length - 1]).toEqual({ kind: 'action', action: { type: 'fix-and-swap', moduleId: 'crashy', command: "host.swap('crashy')" } });
    expect(body.text.length).toBe(body.facts.length);
    expect(body.text[body.text.length - 1]).toMatch(/^To change that: fix crashy/);
  });

  it('refuses a bad client id with 400 E_CLIENT_ID_INVALID', async () => {
    const response = await fetch(`${base}/clients/${encodeURIComponent('bad id')}/modules/crashy/explain`);
    expect(response.status).toBe(400);
  });

  it('hotmod clients why --url asks it, lifecycle included', async () => {
    const r = await run('clients', 'why', CLIENT, 'billing', '--url', base);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('billing@2.0.0 is active.');
    expect(r.stdout).toContain(`So billing@2.0.0 serves client ${CLIENT}.`);
  });

  it('--url to nowhere fails with E_CLI_SERVER_UNREACHABLE', async () => {
    const r = await run('clients', 'why', CLIENT, 'billing', '--url', 'http://127.0.0.1:9/hotmod');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('E_CLI_SERVER_UNREACHABLE');
  });
});

/**
 * Issue 19: a call's deadline covers the load of the client's configuration. Past it the
 * caller gets E_CONFIG_LOAD_TIMEOUT; the load goes on and serves later calls once it settles.
 */
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ClientModuleSet, ConfigSource } from '../../src/index.js';
import { createAllEnabledConfigSource } from '../../src/runtime/index.js';
import { createTestDatabase, PG_URL } from '../legacy-bridge/support/stores.js';
import { FIXTURES, expectCode, newHost } from './helpers.js';

const PROVIDERS = path.join(FIXTURES, 'providers');

/** The all-enabled source, whose client-set loads wait until `release()` (never, unless called). */
function heldSource(): ConfigSource & { release(): void; loads: number } {
  const inner = createAllEnabledConfigSource();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const source = {
    ...inner,
    name: 'held',
    loads: 0,
    release: () => release(),
    async clientModuleSet(clientId: string, catalog: Parameters<ConfigSource['clientModuleSet']>[1]): Promise<ClientModuleSet> {
      source.loads++;
      await gate;
      return inner.clientModuleSet(clientId, catalog);
    },
  };
  return source;
}

/** A TCP proxy to PostgreSQL that can be told to hold every byte (an unreachable store that keeps its connections). */
async function pgProxy(target: URL): Promise<{ port: number; hold(): void; release(): void; close(): Promise<void> }> {
  let held = false;
  const flushes = new Set<() => void>();
  const sockets = new Set<net.Socket>();
  const forward = (from: net.Socket, to: net.Socket) => {
    const queue: Buffer[] = [];
    from.on('data', (chunk: Buffer) => (held ? queue.push(chunk) : to.write(chunk)));
    flushes.add(() => {
      for (const chunk of queue.splice(0)) to.write(chunk);
    });
    from.on('close', () => to.destroy());
    from.on('error', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    hold: () => void (held = true),
    release() {
      held = false;
      for (const flush of flushes) flush();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a call deadline covers the configuration load', () => {
  it('gives E_CONFIG_LOAD_TIMEOUT when the load outlasts timeoutMs, and serves once the load completes', async () => {
    const source = heldSource();
    const host = await newHost({ modulesDir: PROVIDERS, overrides: { configSource: source } });
    await host.start();
    const started = performance.now();
    const err = await expectCode(host.client('k').invoke('app.api', 'checkout', {}, { timeoutMs: 300 }), 'E_CONFIG_LOAD_TIMEOUT');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2000);
    expect(err.message).toMatch(/call to 'app.api' for client 'k' gave up after 300 ms: the client's configuration could not be loaded from config source 'held' in time/);
    expect(err.details).toMatchObject({ clientId: 'k', capability: 'app.api', source: 'held', timeoutMs: 300 });
    // A second call shares the load in flight (no second load against a stuck store) and has its own deadline.
    await expectCode(host.client('k').invoke('pay.charge', 'charge', {}, { timeoutMs: 100 }), 'E_CONFIG_LOAD_TIMEOUT');
    expect(source.loads).toBe(1);
    // A call without a deadline waits for the load; releasing it serves that call and caches the set.
    const waiting = host.client('k').invoke('app.api', 'checkout', {});
    source.release();
    expect(await waiting).toMatchObject({ paid: { by: 'z-pay' } });
    expect(await host.client('k').invoke('app.api', 'checkout', {}, { timeoutMs: 300 })).toMatchObject({ paid: { by: 'z-pay' } });
    expect(source.loads).toBe(1);
  });

  it.skipIf(!PG_URL)('PostgreSQL held unreachable: invoke({ timeoutMs: 1000 }) for an uncached client fails within its deadline, then recovers', { timeout: 60_000 }, async () => {
    const db = await createTestDatabase();
    const url = new URL(db.url);
    const proxy = await pgProxy(url);
    const viaProxy = new URL(db.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    try {
      const host = await newHost({ modulesDir: PROVIDERS, store: viaProxy.toString() });
      await host.start();
      await host.unifier!.enableModule('k', 'app', false, { createClient: true });
      proxy.hold();
      const started = performance.now();
      const err = await expectCode(host.client('k').invoke('app.api', 'checkout', {}, { timeoutMs: 1000 }), 'E_CONFIG_LOAD_TIMEOUT');
      expect(performance.now() - started).toBeLessThan(3000);
      expect(err.message).toMatch(/configuration could not be loaded from config source 'legacy-bridge'/);
      proxy.release();
      expect(await host.client('k').invoke('app.api', 'checkout', {}, { timeoutMs: 5000 })).toMatchObject({ paid: { by: 'z-pay', clientId: 'k' } });
      await host.stop();
    } finally {
      proxy.release();
      await proxy.close();
      await db.drop();
    }
  });
});

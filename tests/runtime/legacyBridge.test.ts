/**
 * The host wires the legacy bridge by default: with a store (here in-memory PGlite), the
 * legacy API, the unifier and the migrator are on the host, the unified view decides what
 * each client reaches, a legacy save reaches the running host without a restart, and
 * stop() closes the store. store 'none' opts out.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { initLegacySchema, ModuleDataMigrator, ModuleSystemUnifier, openStore, type Store } from '../../src/legacy-bridge/index.js';
import { tokens } from '../../src/runtime/index.js';
import { FIXTURES, expectCode, newHost, waitFor } from './helpers.js';

const ACME = '0a1b2c3d-0000-4000-8000-0000000000a1';
const FRESH = '0a1b2c3d-0000-4000-8000-0000000000f0';

describe('createHost with a store: the legacy bridge', () => {
  it('exposes legacy, unifier and migrator, serves clients from the unified view, and closes the store at stop', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), store: 'memory' });
    expect(host.legacy).toBeUndefined(); // parts exist once started
    await host.start();
    expect(host.unifier).toBeInstanceOf(ModuleSystemUnifier);
    expect(host.migrator).toBeInstanceOf(ModuleDataMigrator);
    const store = host.container.resolve(tokens.STORE) as Store;
    expect(store.kind).toBe('memory');

    await initLegacySchema(store);
    await store.query('INSERT INTO clients (id, name) VALUES ($1, $2), ($3, $4)', [ACME, 'acme', FRESH, 'fresh']);
    await host.legacy!.saveModuleOverrides(ACME, ['lazy-echo']);

    // ACME's legacy list enables lazy-echo only; base is not enabled for it.
    expect(await host.client(ACME).invoke('echo.api', 'echo', 1)).toMatchObject({ input: 1, clientId: ACME });
    await expectCode(host.client(ACME).invoke('base.api', 'ping', {}), 'E_NOT_ENABLED');
    // No legacy row, no registry rows: the catalog's defaults, and no fixture module is defaultEnabled.
    await expectCode(host.client(FRESH).invoke('echo.api', 'echo', 1), 'E_NOT_ENABLED');
    expect((await host.client(FRESH).modules()).filter((m) => m.enabled)).toEqual([]);
    const modules = await host.client(ACME).modules();
    expect(modules.find((m) => m.moduleId === 'lazy-echo')).toMatchObject({ enabled: true });

    // A legacy save reaches the running host: no restart.
    const changed: unknown[] = [];
    host.on('client:changed', (e) => changed.push(e.clients));
    await host.legacy!.saveModuleOverrides(ACME, ['lazy-echo', 'base']);
    await waitFor(() => changed.some((c) => Array.isArray(c) && c.includes(ACME)), 'client:changed for ACME');
    await expect(host.client(ACME).invoke('base.api', 'ping', {})).resolves.toBeDefined();

    await host.stop();
    expect(store.closed).toBe(true);
  }, 60_000);

  it('uses a store the embedding app registered under the STORE token, and leaves it open at stop', async () => {
    const mine = await openStore('memory');
    try {
      await initLegacySchema(mine);
      await mine.query('INSERT INTO clients (id, name) VALUES ($1, $2)', [ACME, 'acme']);
      const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), store: 'memory', register: (c) => c.register(tokens.STORE, { useValue: mine }) });
      await host.start();
      expect(host.container.resolve(tokens.STORE)).toBe(mine);
      await host.legacy!.saveModuleOverrides(ACME, ['lazy-echo']);
      // The row is in the app's store, and the host serves from it.
      const rows = await mine.query<{ modules_enabled: unknown }>('SELECT modules_enabled FROM client_app_overrides WHERE client_id = $1', [ACME]);
      expect(rows.rows).toHaveLength(1);
      expect(await host.client(ACME).invoke('echo.api', 'echo', 1)).toMatchObject({ input: 1 });
      await expectCode(host.client(ACME).invoke('base.api', 'ping', {}), 'E_NOT_ENABLED');
      await host.stop();
      expect(mine.closed).toBe(false);
    } finally {
      await mine.close();
    }
  }, 60_000);

  it("runs without a store or bridge with store 'none'", async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), store: 'none' });
    await host.start();
    expect(host.legacy).toBeUndefined();
    expect(host.unifier).toBeUndefined();
    expect(host.container.isRegistered(tokens.STORE)).toBe(false);
    await expect(host.client('anyone').invoke('base.api', 'ping', {})).resolves.toBeDefined();
  });

  it('fails start with the store error code for a bad store URL', async () => {
    const host = await newHost({ modulesDir: path.join(FIXTURES, 'graph'), store: 'sqlite://nope' });
    await expectCode(host.start(), 'E_STORE_URL_INVALID');
  });
});

/**
 * One routing table (issue 11 item 1): app requires pay.charge ^1, and four modules provide
 * pay.charge (a-pay 1.0.0, m-pay 1.2.0, z-pay 1.5.0, x-pay 2.0.0). The resolver binds app
 * to z-pay; every path — client.invoke, the module hop, client.modules() through the file
 * source and through the legacy bridge, `hotmod resolve --client` and the swap check —
 * gives that same answer, for clients enabling different combinations.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/io.js';
import { catalogViewOfScan } from '../../src/legacy-bridge/index.js';
import { clientClosure, scanCatalog } from '../../src/registry/index.js';
import type { Host } from '../../src/runtime/index.js';
import type { CatalogView } from '../../src/types.js';
import { copyFixture, expectCode, newHost, rewriteModule, tempDir } from './helpers.js';

/** Client -> the modules it enables itself. */
const CLIENTS: Record<string, string[]> = {
  'only-app': ['app'],
  'app-and-a': ['app', 'a-pay'],
  'app-and-x': ['app', 'x-pay'],
  'a-only': ['a-pay'],
  'm-and-a': ['m-pay', 'a-pay'],
  nobody: [],
};

async function toolCatalog(modulesDir: string): Promise<CatalogView> {
  return catalogViewOfScan(await scanCatalog(modulesDir)).catalog;
}

/** Who a client call to pay.charge reaches: the first provider, in the resolver's order, in the client's closure. */
function expectedDirect(catalog: CatalogView, effective: ReadonlySet<string>): string | undefined {
  return catalog.providers('pay.charge').find((id) => effective.has(id));
}

async function answers(host: Host, clientId: string) {
  const client = host.client(clientId);
  const modules = await client.modules();
  const enabled = modules.filter((m) => m.enabled).map((m) => m.moduleId).sort();
  const implicit = modules.filter((m) => m.implicit).map((m) => m.moduleId).sort();
  const app = await client.invoke('app.api', 'checkout', { total: 1 }).then(
    (r) => (r as { paid: { by: string } }).paid.by,
    (e: { code: string }) => e.code,
  );
  const direct = await client.invoke('pay.charge', 'charge', {}).then(
    (r) => (r as { by: string }).by,
    (e: { code: string }) => e.code,
  );
  return { enabled, implicit, app, direct };
}

function cliIO(): CliIO & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', isTTY: false, out: (t: string) => void (io.stdout += `${t}\n`), err: (t: string) => void (io.stderr += `${t}\n`) };
  return io;
}

describe('routing table', () => {
  it('serves app from the provider the resolver bound, on every path and for every combination of enabled providers', { timeout: 120_000 }, async () => {
    const modulesDir = await copyFixture('providers');
    const catalog = await toolCatalog(modulesDir);
    // The resolver's answer: the highest pay.charge in app's range.
    expect(catalog.bindings('app')).toEqual({ 'pay.charge': 'z-pay' });
    expect(catalog.providers('pay.charge')).toEqual(['x-pay', 'z-pay', 'm-pay', 'a-pay']);

    const configFile = path.join(path.dirname(modulesDir), 'hotmod.config.json');
    await writeFile(configFile, JSON.stringify({ clients: Object.fromEntries(Object.entries(CLIENTS).map(([k, modules]) => [k, { modules }])) }));
    const fileHost = await newHost({ modulesDir, configFile });
    const dbDir = await tempDir('routing-table-db');
    const store = `pglite://${path.join(dbDir, 'db')}`;
    const bridgeHost = await newHost({ modulesDir, store });
    await Promise.all([fileHost.start(), bridgeHost.start()]);
    // The host runs what the tool view says.
    for (const host of [fileHost, bridgeHost]) expect(host.status().find((s) => s.id === 'app')!.bindings).toEqual({ 'pay.charge': 'z-pay' });
    for (const [clientId, modules] of Object.entries(CLIENTS)) for (const id of modules) await bridgeHost.unifier!.enableModule(clientId, id, false, { createClient: true });

    for (const [clientId, modules] of Object.entries(CLIENTS)) {
      const closure = clientClosure(catalog, modules);
      const expected = {
        enabled: [...closure.effective].sort(),
        implicit: closure.implicit.map((p) => p.moduleId).sort(),
        app: closure.effective.has('app') ? 'z-pay' : 'E_NOT_ENABLED',
        direct: expectedDirect(catalog, closure.effective) ?? 'E_NOT_ENABLED',
      };
      expect({ clientId, ...(await answers(fileHost, clientId)) }).toEqual({ clientId, ...expected });
      expect({ clientId, ...(await answers(bridgeHost, clientId)) }).toEqual({ clientId, ...expected });
    }
    // The case, spelled out: enabling only app pulls in z-pay (not a-pay), and the hop works.
    expect(clientClosure(catalog, ['app']).implicit).toEqual([{ moduleId: 'z-pay', requiredBy: 'app', need: "capability 'pay.charge' ^1.0.0" }]);
    // A client call goes to the newest provider the client has: x-pay (2.0.0) for app-and-x, while app's hop stays on z-pay.
    expect((await answers(fileHost, 'app-and-x')).direct).toBe('x-pay');

    // hotmod resolve --client: the same closure and the same bindings.
    await bridgeHost.stop();
    for (const [clientId, modules] of Object.entries(CLIENTS)) {
      const io = cliIO();
      expect(await main(['resolve', '--client', clientId, '--modules', modulesDir, '--store', store, '--json'], io)).toBe(0);
      const plan = JSON.parse(io.stdout) as { client: { effective: string[] }; modules: { id: string; bindings: Record<string, string> }[] };
      expect(plan.client.effective).toEqual([...clientClosure(catalog, modules).effective].sort());
      for (const m of plan.modules) expect(m.bindings).toEqual(catalog.bindings(m.id));
    }
  });

  it('checks a swap by resolving again with the running modules held: same bindings, consumers kept in range', { timeout: 60_000 }, async () => {
    const modulesDir = await copyFixture('providers');
    const host = await newHost({ modulesDir });
    await host.start();
    const bindingsOfApp = () => host.status().find((s) => s.id === 'app')!.bindings;
    // A new app version binds where the resolver binds.
    await rewriteModule(path.join(modulesDir, 'app'), { version: '1.1.0' });
    await host.swap('app');
    expect(bindingsOfApp()).toEqual({ 'pay.charge': 'z-pay' });
    expect(await host.client('k').invoke('app.api', 'checkout', {})).toMatchObject({ app: '1.1.0', paid: { by: 'z-pay' } });

    // z-pay leaving app's range is refused: app is held on its binding.
    await rewriteModule(path.join(modulesDir, 'z-pay'), { version: '2.1.0', hotmod: (h) => ((h.provides as Record<string, string>)['pay.charge'] = '2.1.0') });
    const refused = await expectCode(host.swap('z-pay'), 'E_SWAP_REFUSED');
    expect(refused.message).toMatch(/version 2.1.0 provides 'pay.charge' 2.1.0, which does not satisfy 'app' \(requires \^1.0.0\)/);

    // A new app whose own requirement nothing running satisfies: the resolver's explanation.
    await rewriteModule(path.join(modulesDir, 'app'), { version: '1.2.0', hotmod: (h) => ((h.requires as Record<string, string>)['pay.charge'] = '^3.0.0') });
    const unresolvable = await expectCode(host.swap('app'), 'E_SWAP_REFUSED');
    expect(unresolvable.message).toMatch(/version 1.2.0 does not resolve against the running modules: .*pay\.charge.*\^3\.0\.0/);
    expect(unresolvable.details.code).toMatch(/^E_RESOLVE_/);
    expect(await host.client('k').invoke('app.api', 'checkout', {})).toMatchObject({ app: '1.1.0', paid: { by: 'z-pay', version: '1.5.0' } });
  });
});

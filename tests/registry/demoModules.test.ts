import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { HOTMOD_VERSION } from '../../src/version.js';
import { resolvePlan, scanCatalog, type ModulePackage } from '../../src/registry/index.js';

const modulesDir = path.resolve(import.meta.dirname, '../../modules');

type Methods = Record<string, (input?: unknown, call?: unknown) => Promise<any>>;
interface Loaded {
  activate(ctx: unknown): Promise<Record<string, Methods>>;
  deactivate?(ctx: unknown): Promise<unknown>;
}

/** A fresh copy of a dist bundle (query string: modules keep state in module scope). */
let generation = 0;
async function load(pkg: ModulePackage): Promise<Loaded> {
  return (await import(`${pathToFileURL(pkg.entryPath).href}?v=${++generation}`)) as Loaded;
}

/**
 * Wires the real bundles together the way the host does: each module's methods get a
 * `call` whose capability(name) reaches the bound provider, refusing undeclared names.
 */
async function wire(packages: readonly ModulePackage[], request?: string[], state: Record<string, unknown> = {}) {
  const plan = resolvePlan(packages, { hostVersion: HOST, ...(request ? { request } : {}) });
  const exportsById = new Map<string, Record<string, Methods>>();
  const instances = new Map<string, Loaded>();
  const logs: string[] = [];
  const callFor = (id: string, clientId = 'client-1', settings: Record<string, unknown> = {}) => {
    const m = plan.modules.find((x) => x.id === id)!;
    return {
      clientId,
      settings,
      requestId: 'req-1',
      capability(name: string) {
        const provider = m.bindings[name] ?? m.optionalBindings[name];
        if (provider === undefined) throw new Error(`${id} did not declare ${name}`);
        if (provider === null) throw new Error(`no provider for ${name}`);
        const methods = exportsById.get(provider)![name]!;
        return new Proxy({}, { get: (_t, method: string) => (input: unknown) => methods[method]!(structuredClone(input), callFor(provider, clientId)) });
      },
    };
  };
  for (const m of plan.modules) {
    const mod = await load(m.pkg);
    instances.set(m.id, mod);
    const ctx = {
      module: { id: m.id, version: m.version },
      config: {},
      previousState: state[m.id],
      log: { info: (msg: string) => logs.push(`${m.id}: ${msg}`), warn: () => {}, error: () => {} },
    };
    const exported = await mod.activate(ctx);
    expect(Object.keys(exported).sort()).toEqual(Object.keys(m.pkg.manifest.provides).sort());
    exportsById.set(m.id, exported);
  }
  const invoke = (capability: string, method: string, input: unknown, settings: Record<string, unknown> = {}) => {
    const provider = plan.modules.find((m) => capability in m.pkg.manifest.provides)!;
    return exportsById.get(provider.id)![capability]![method]!(structuredClone(input), callFor(provider.id, 'client-1', settings));
  };
  const stop = async () => {
    const out: Record<string, unknown> = {};
    for (const m of [...plan.modules].reverse()) out[m.id] = await instances.get(m.id)!.deactivate?.({ module: { id: m.id, version: m.version } });
    return out;
  };
  return { plan, invoke, stop, logs };
}

const HOST = HOTMOD_VERSION;

describe('demo modules', () => {
  it('has five valid packages with a real chain, all on by default except notifications', async () => {
    const scan = await scanCatalog(modulesDir);
    expect(scan.diagnostics).toEqual([]);
    expect(scan.packages.map((p) => [p.manifest.id, p.manifest.defaultEnabled])).toEqual([
      ['accounts', true],
      ['analytics', true],
      ['billing', true],
      ['notifications', false],
      ['payments', true],
    ]);
    const plan = resolvePlan(scan.packages, { hostVersion: HOST });
    expect(plan.levels).toEqual([['accounts', 'analytics', 'notifications'], ['payments'], ['billing']]);
    expect(scan.packages.find((p) => p.manifest.id === 'analytics')!.manifest.activation).toBe('lazy');
  });

  it('ships dist bundles that are exactly the esbuild bundle of src, self-contained', async () => {
    const scan = await scanCatalog(modulesDir);
    for (const pkg of scan.packages) {
      const result = await build({ entryPoints: [pkg.srcEntryPath!], bundle: true, format: 'esm', platform: 'neutral', write: false, outfile: pkg.entryPath, logLevel: 'silent' });
      const bundled = result.outputFiles[0]!.text;
      const onDisk = await readFile(pkg.entryPath, 'utf8');
      expect(onDisk, `${pkg.key}: rebuild with npx esbuild ${path.relative(process.cwd(), pkg.srcEntryPath!)} --bundle --format=esm --platform=neutral --outfile=…`).toBe(bundled);
      expect(onDisk).not.toMatch(/^\s*import\s/m);
      expect(onDisk).toMatch(/export\s*\{[^}]*activate/);
    }
  });

  it('billing computes totals with tax, charges through payments and tracks in analytics', async () => {
    const { invoke, stop } = await wire((await scanCatalog(modulesDir)).packages);
    const user = await invoke('accounts.users', 'create', { name: 'Ada', email: 'ADA@example.com' });
    expect(user).toMatchObject({ id: 'acct_1', email: 'ada@example.com' });

    const invoice = await invoke(
      'billing.invoices',
      'create',
      { accountId: user.id, lines: [{ description: 'seat', quantity: 3, unitPriceCents: 1999 }, { description: 'setup', quantity: 1, unitPriceCents: 500 }] },
      { currency: 'USD', taxRatePercent: 20 },
    );
    expect(invoice).toMatchObject({ id: 'inv_1', currency: 'USD', subtotalCents: 6497, taxCents: 1299, totalCents: 7796, chargeId: 'ch_1', accountId: 'acct_1' });

    const ledger = await invoke('payments.charge', 'ledger', {});
    expect(ledger.capturedCents).toBe(7796);
    expect(ledger.entries[0]).toMatchObject({ id: 'ch_1', accountId: 'acct_1', amountCents: 7796, currency: 'USD', status: 'captured' });
    expect(await invoke('analytics.track', 'summary', {})).toEqual({ events: { 'invoice.created': 1 }, clients: { 'client-1': 1 } });

    await expect(invoke('billing.invoices', 'create', { lines: [] })).rejects.toThrow(/"lines" must be a non-empty array/);
    await expect(invoke('billing.invoices', 'create', { accountId: 'acct_404', lines: [{ description: 'x', quantity: 1, unitPriceCents: 100 }] })).rejects.toThrow(/no account acct_404/);
    await expect(invoke('payments.charge', 'charge', { amountCents: 5000 }, { maxChargeCents: 1000 })).rejects.toThrow(/exceeds the limit of 1000 cents/);
    await stop();
  });

  it('billing works without analytics: the optional requirement is unbound', async () => {
    const packages = (await scanCatalog(modulesDir)).packages.filter((p) => p.manifest.id !== 'analytics');
    const { plan, invoke } = await wire(packages, ['billing']);
    expect(plan.modules.find((m) => m.id === 'billing')!.optionalBindings).toEqual({ 'analytics.track': null });
    const invoice = await invoke('billing.invoices', 'create', { lines: [{ description: 'x', quantity: 2, unitPriceCents: 250 }] });
    expect(invoice.totalCents).toBe(500);
  });

  it('payments, accounts and billing hand their state to the next version through deactivate', async () => {
    const packages = (await scanCatalog(modulesDir)).packages;
    const first = await wire(packages);
    await first.invoke('accounts.users', 'create', { name: 'Bo', email: 'bo@example.com' });
    await first.invoke('billing.invoices', 'create', { lines: [{ description: 'x', quantity: 1, unitPriceCents: 1000 }] });
    const state = await first.stop();
    expect(state.payments).toMatchObject({ nextId: 2, ledger: [{ id: 'ch_1', amountCents: 1000 }] });

    const second = await wire(packages, undefined, state);
    expect((await second.invoke('payments.charge', 'ledger', {})).capturedCents).toBe(1000);
    expect(await second.invoke('accounts.users', 'list', {})).toHaveLength(1);
    const next = await second.invoke('billing.invoices', 'create', { lines: [{ description: 'y', quantity: 1, unitPriceCents: 10 }] });
    expect(next).toMatchObject({ id: 'inv_2', chargeId: 'ch_2' });
    const refunded = await second.invoke('payments.charge', 'refund', { chargeId: 'ch_1' });
    expect(refunded.status).toBe('refunded');
    await expect(second.invoke('payments.charge', 'refund', { chargeId: 'ch_1' })).rejects.toThrow(/already refunded/);
  });

  it('notifications validates channels against the client settings', async () => {
    const packages = (await scanCatalog(modulesDir)).packages;
    const { invoke } = await wire(packages, ['notifications']);
    const sent = await invoke('notifications.send', 'send', { to: 'ada@example.com', channel: 'email', text: 'Your invoice is ready' });
    expect(sent).toMatchObject({ id: 'msg_1', channel: 'email' });
    await expect(invoke('notifications.send', 'send', { to: '+331', channel: 'sms', text: 'hi' }, { channels: ['email'] })).rejects.toThrow(/channel sms is not enabled/);
    expect(await invoke('notifications.send', 'outbox', {})).toHaveLength(1);
  });
});

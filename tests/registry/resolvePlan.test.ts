import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { resolvePlan, scanCatalog, type ModulePackage, type ResolvePlan } from '../../src/registry/index.js';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/registry');
const HOST = '1.0.0';

async function catalog(scenario: string): Promise<readonly ModulePackage[]> {
  const scan = await scanCatalog(path.join(fixtures, scenario));
  expect(scan.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return scan.packages;
}

function versions(plan: ResolvePlan): Record<string, string> {
  return Object.fromEntries(plan.modules.map((m) => [m.id, m.version]));
}

function resolveError(fn: () => unknown): HotmodError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HotmodError);
    return error as HotmodError;
  }
  throw new Error('expected resolvePlan to throw');
}

describe('resolvePlan: choosing versions', () => {
  it('resolves a diamond with one version of the shared module that satisfies both sides', async () => {
    const plan = resolvePlan(await catalog('diamond'), { hostVersion: HOST });
    expect(versions(plan)).toEqual({ app: '1.0.0', base: '1.3.0', left: '1.0.0', right: '1.0.0' });
    expect(plan.levels).toEqual([['base'], ['left', 'right'], ['app']]);
    expect(plan.modules.map((m) => m.id)).toEqual(['base', 'left', 'right', 'app']);
    const base = plan.modules.find((m) => m.id === 'base')!;
    expect(base.dependents).toEqual(['left', 'right']);
    expect(plan.modules.find((m) => m.id === 'left')!.bindings).toEqual({ 'base.api': 'base' });
    expect(plan.modules.find((m) => m.id === 'app')!.dependsOn).toEqual(['left', 'right']);
    expect(plan.unresolved).toEqual([]);
  });

  it('backtracks to an older version when the newest cannot be part of the plan', async () => {
    const plan = resolvePlan(await catalog('backtrack'), { hostVersion: HOST });
    // store 1.5.0 needs cache ^1 but app pins cache ^2; lib 2.0.0 needs a capability nobody provides.
    expect(versions(plan)).toEqual({ app: '1.0.0', cache: '2.0.0', lib: '1.9.0', store: '1.4.0' });
    expect(plan.modules.find((m) => m.id === 'app')!.bindings).toEqual({ 'store.kv': 'store' });
    expect(plan.levels).toEqual([['cache', 'lib'], ['store'], ['app']]);
  });

  it('goes back past unrelated decisions to the one that caused a conflict', async () => {
    const plan = resolvePlan(await catalog('backjump'), { hostVersion: HOST });
    expect(versions(plan)).toEqual({ app: '1.0.0', x: '1.0.0', y: '1.0.0', z: '1.0.0' });
  });

  it('picks the highest version of an id unless a range pins another', async () => {
    const packages = await catalog('versions');
    expect(versions(resolvePlan(packages, { hostVersion: HOST, request: ['kv'] }))).toEqual({ kv: '2.0.0' });
    const plan = resolvePlan(packages, { hostVersion: HOST });
    expect(versions(plan)).toEqual({ kv: '1.2.0', session: '1.0.0' });
    expect(plan.modules.find((m) => m.id === 'session')!.bindings).toEqual({ 'kv.store': 'kv' });
  });

  it('pulls in the providers of required capabilities when only the consumer is requested', async () => {
    const plan = resolvePlan(await catalog('diamond'), { hostVersion: HOST, request: ['left'] });
    expect(versions(plan)).toEqual({ base: '1.3.0', left: '1.0.0' }); // left needs base.api ^1.0.0: not 2.0.0
    expect(plan.levels).toEqual([['base'], ['left']]);
  });

  it('takes an older version when the newest ones close a cycle', async () => {
    const packages = await catalog('cycle-avoidable');
    // store 2.x depends on audit, which requires store.api: a cycle. store 1.4.0 needs nothing.
    const plan = resolvePlan(packages, { hostVersion: HOST });
    expect(versions(plan)).toEqual({ app: '1.0.0', audit: '1.0.0', store: '1.4.0' });
    expect(plan.levels).toEqual([['store'], ['app', 'audit']]);
    expect(plan.unresolved).toEqual([]);
    expect(versions(resolvePlan(packages, { hostVersion: HOST, request: ['app'] }))).toEqual({ app: '1.0.0', store: '1.4.0' });
    expect(summary(resolvePlan(packages, { hostVersion: HOST, mode: 'partial' }))).toEqual(summary(plan));
    // Without the old version the cycle cannot be avoided, and is reported as before.
    const newest = packages.filter((p) => p.key !== 'store@1.4.0');
    const error = resolveError(() => resolvePlan(newest, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_CYCLE');
    expect(error.message).toContain('audit -> store -> audit (audit 1.0.0 requires store.api >=1.0.0, provided by store; store 2.1.0 depends on audit ^1.0.0)');
  });

  it('skips versions whose engines.hotmod excludes the host', async () => {
    const packages = await catalog('engines');
    expect(versions(resolvePlan(packages, { hostVersion: HOST, request: ['search'] }))).toEqual({ search: '1.5.0' });
    expect(versions(resolvePlan(packages, { hostVersion: '2.3.0', request: ['search'] }))).toEqual({ search: '2.0.0' });
  });
});

describe('resolvePlan: explained failures (strict)', () => {
  it('explains a capability range no provider satisfies, PubGrub-style', async () => {
    const error = resolveError(() => resolvePlan(vitestCatalog.conflict, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_CONFLICT');
    expect(error.message).toContain(
      "cannot resolve module 'billing': billing 1.4.0 requires payments.charge ^2.1.0; payments 1.9.0 provides payments.charge 1.9.0 and payments 2.0.0 provides 2.0.0, neither satisfies ^2.1.0",
    );
    expect(error.message).toMatch(/to fix: align the version ranges/);
    expect(error.details.chain).toEqual([
      'billing 1.4.0 requires payments.charge ^2.1.0; payments 1.9.0 provides payments.charge 1.9.0 and payments 2.0.0 provides 2.0.0, neither satisfies ^2.1.0',
    ]);
    expect(error.details.moduleId).toBe('billing');
  });

  it('explains why each candidate version fails', async () => {
    const packages = await catalog('explain-versions');
    const error = resolveError(() => resolvePlan(packages, { hostVersion: HOST, request: ['billing'] }));
    expect(error.code).toBe('E_RESOLVE_CONFLICT');
    expect(error.details.chain).toEqual([
      'billing 1.4.0 requires payments.charge ^2.0.0, but neither payments 2.1.0 nor payments 2.0.0 can be used',
      'payments 2.1.0 depends on accounts ^4.0.0, but the catalog has accounts 3.0.0, which does not satisfy ^4.0.0',
      'payments 2.0.0 requires fraud.check ^1.0.0, but no module in the catalog provides fraud.check',
    ]);
    expect(error.message).toBe(`cannot resolve module 'billing': ${(error.details.chain as string[]).join('; ')}; to fix: align the version ranges with the versions in the catalog (hotmod ls lists them)`);
    // payments alone still resolves: 1.0.0 is the newest version that works.
    expect(versions(resolvePlan(packages, { hostVersion: HOST, request: ['payments'] }))).toEqual({ payments: '1.0.0' });
  });

  it('explains two modules that need incompatible versions of a third', async () => {
    const error = resolveError(() => resolvePlan(vitestCatalog.conflictDepends, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_CONFLICT');
    // accounts is requested first (ids in order) and takes 3.1.0; reports cannot have it.
    expect(error.message).toMatch(/reports 1\.0\.0 depends on accounts \^2\.0\.0, but accounts 3\.1\.0 is already chosen because/);
    expect(error.message).toMatch(/payments 2\.0\.0 depends on accounts \^3\.0\.0|accounts was requested/);
  });

  it('names the conflict between two requested modules when only they are asked for', async () => {
    const error = resolveError(() => resolvePlan(vitestCatalog.conflictDepends, { hostVersion: HOST, request: ['payments', 'reports'] }));
    expect(error.code).toBe('E_RESOLVE_CONFLICT');
    expect(error.message).toContain("cannot resolve module 'reports': reports 1.0.0 depends on accounts ^2.0.0, but accounts 3.1.0 is already chosen because payments 2.0.0 depends on accounts ^3.0.0");
  });

  it('reports a missing capability and a missing module with the chain that asked for them', async () => {
    const packages = await catalog('missing');
    const mail = resolveError(() => resolvePlan(packages, { hostVersion: HOST, request: ['mailer'] }));
    expect(mail.code).toBe('E_RESOLVE_MISSING');
    expect(mail.message).toContain("cannot resolve module 'mailer': mailer 1.0.0 requires mail.send ^1.0.0, but no module in the catalog provides mail.send");
    expect(mail.message).toMatch(/to fix: add the missing module/);

    const crm = resolveError(() => resolvePlan(packages, { hostVersion: HOST, request: ['crm'] }));
    expect(crm.code).toBe('E_RESOLVE_MISSING');
    expect(crm.message).toContain("crm 1.2.0 depends on contacts ^1.0.0, but no module 'contacts' is in the catalog");

    // signup -> mailer -> mail.send: the whole chain is in the message.
    const signup = resolveError(() => resolvePlan(packages, { hostVersion: HOST, request: ['signup'] }));
    expect(signup.code).toBe('E_RESOLVE_MISSING');
    expect(signup.details.chain).toEqual(['signup 1.0.0 depends on mailer ^1.0.0', 'mailer 1.0.0 requires mail.send ^1.0.0, but no module in the catalog provides mail.send']);

    const unknown = resolveError(() => resolvePlan(packages, { hostVersion: HOST, request: ['nope'] }));
    expect(unknown.code).toBe('E_RESOLVE_MISSING');
    expect(unknown.message).toContain("no module 'nope' is in the catalog");
  });

  it('lists every unresolvable requested module in one error', async () => {
    const error = resolveError(() => resolvePlan(vitestCatalog.missing, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_MISSING');
    expect(error.message).toMatch(/^cannot resolve 3 modules: /);
    const unresolved = error.details.unresolved as { id: string; code: string }[];
    expect(unresolved.map((u) => u.id)).toEqual(['crm', 'mailer', 'signup']);
    expect(unresolved.every((u) => u.code === 'E_RESOLVE_MISSING')).toBe(true);
  });

  it('explains an engines.hotmod mismatch with the host version', async () => {
    const packages = await catalog('engines');
    const future = resolveError(() => resolvePlan(packages, { hostVersion: HOST, request: ['future'] }));
    expect(future.code).toBe('E_RESOLVE_ENGINE');
    expect(future.message).toContain('future 1.0.0 needs hotmod >=9.0.0, and this host is hotmod 1.0.0');
    const portal = resolveError(() => resolvePlan(packages, { hostVersion: HOST, request: ['portal'] }));
    expect(portal.code).toBe('E_RESOLVE_ENGINE');
    expect(portal.message).toContain('portal 1.0.0 requires future.api ^1.0.0; future 1.0.0 provides future.api 1.0.0 but needs hotmod >=9.0.0 (this host is hotmod 1.0.0)');
  });

  it('names every module of a cycle, with the requirement behind each arrow', async () => {
    const error = resolveError(() => resolvePlan(vitestCatalog.cycle, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_CYCLE');
    expect(error.message).toContain('a -> b -> c -> a');
    expect(error.message).toContain('a 1.0.0 depends on b ^1.0.0; b 1.0.0 requires c.api ^1.0.0, provided by c; c 1.0.0 depends on a ^1.0.0');
    expect(error.details.cycles).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('names every module of a tangled cycle, and every cycle when there are several', async () => {
    const packages = await catalog('cycle-tangled');
    const error = resolveError(() => resolvePlan(packages, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_CYCLE');
    expect(error.message).toMatch(/^cannot resolve 2 cycles: /);
    // x -> y -> x is the shortest way round; z is in the same strongly connected knot.
    expect(error.message).toContain('x -> y -> x (x 1.0.0 depends on y ^1.0.0; y 1.0.0 depends on x ^1.0.0) with z in the same cycle');
    expect(error.message).toContain('p -> q -> p (p 1.0.0 requires q.api ^1.0.0, provided by q; q 1.0.0 depends on p ^1.0.0)');
    expect(error.details.cycles).toEqual([
      ['p', 'q', 'p'],
      ['x', 'y', 'x'],
    ]);
    const partial = resolvePlan(packages, { hostVersion: HOST, mode: 'partial' });
    expect(versions(partial)).toEqual({ solo: '1.0.0' });
    expect(partial.unresolved.map((u) => u.id)).toEqual(['p', 'q', 'x', 'y', 'z']);
  });

  it('finds a cycle made of capabilities alone', async () => {
    const packages = await catalog('cycle-capabilities');
    const error = resolveError(() => resolvePlan(packages, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_CYCLE');
    expect(error.message).toContain('orders -> stock -> orders');
  });
});

describe('resolvePlan: optional requirements', () => {
  it('binds optional requirements when a provider fits and never fails the plan otherwise', async () => {
    const plan = resolvePlan(await catalog('optional'), { hostVersion: HOST, request: ['app'] });
    const app = plan.modules.find((m) => m.id === 'app')!;
    expect(app.optionalBindings).toEqual({ 'audit.log': null, 'broken.api': null, 'metrics.track': 'metrics', 'search.query': null });
    expect(app.bindings).toEqual({});
    // metrics was pulled in and activates first; broken (requires a missing capability) and search (wrong range) were not.
    expect(versions(plan)).toEqual({ app: '1.0.0', metrics: '1.1.0' });
    expect(plan.levels).toEqual([['metrics'], ['app']]);
    // Optional consumers are not dependents: a failing metrics does not take app down.
    expect(plan.modules.find((m) => m.id === 'metrics')!.dependents).toEqual([]);
    expect(plan.unresolved).toEqual([]);
  });

  it('binds to a provider already in the plan', async () => {
    const plan = resolvePlan(await catalog('optional'), { hostVersion: HOST, request: ['app', 'search'], mode: 'partial' });
    expect(plan.modules.find((m) => m.id === 'app')!.optionalBindings['metrics.track']).toBe('metrics');
    expect(versions(plan)).toEqual({ app: '1.0.0', metrics: '1.1.0', search: '1.5.0' });
  });

  it('with pullOptionalProviders: false, plans the request alone and binds optional requirements only inside it', async () => {
    const alone = resolvePlan(await catalog('optional'), { hostVersion: HOST, request: ['app'], pullOptionalProviders: false });
    expect(versions(alone)).toEqual({ app: '1.0.0' });
    expect(alone.modules[0]!.optionalBindings['metrics.track']).toBeNull();
    const both = resolvePlan(await catalog('optional'), { hostVersion: HOST, request: ['app', 'metrics'], pullOptionalProviders: false });
    expect(both.modules.find((m) => m.id === 'app')!.optionalBindings['metrics.track']).toBe('metrics');
    expect(both.levels).toEqual([['metrics'], ['app']]);
  });
});

describe('resolvePlan: an optional provider caught in a cycle', () => {
  it('never fails the plan of its consumer: the optional binding is null and the cycle stays out', async () => {
    const packages = await catalog('optional-cycle');
    for (const mode of ['strict', 'partial'] as const) {
      const plan = resolvePlan(packages, { hostVersion: HOST, request: ['app'], mode });
      expect(versions(plan)).toEqual({ app: '1.0.0' });
      expect(plan.modules[0]!.optionalBindings).toEqual({ 'tracer.api': null });
      expect(plan.unresolved).toEqual([]);
    }
  });

  it('still reports the cycle when its modules are requested themselves', async () => {
    const packages = await catalog('optional-cycle');
    const error = resolveError(() => resolvePlan(packages, { hostVersion: HOST }));
    expect(error.code).toBe('E_RESOLVE_CYCLE');
    expect(error.message).toContain('spans -> tracer -> spans');
    const partial = resolvePlan(packages, { hostVersion: HOST, mode: 'partial' });
    expect(versions(partial)).toEqual({ app: '1.0.0' });
    expect(partial.unresolved.map((u) => [u.id, u.error.code])).toEqual([
      ['spans', 'E_RESOLVE_CYCLE'],
      ['tracer', 'E_RESOLVE_CYCLE'],
    ]);
  });
});

describe('resolvePlan: partial mode', () => {
  it('resolves what it can and explains the rest, including what needs the broken module', async () => {
    const plan = resolvePlan(await catalog('partial'), { hostVersion: HOST, mode: 'partial' });
    expect(versions(plan)).toEqual({ accounts: '3.0.0', analytics: '1.0.0' });
    expect(plan.levels).toEqual([['accounts', 'analytics']]);
    const byId = Object.fromEntries(plan.unresolved.map((u) => [u.id, u.error]));
    expect(Object.keys(byId).sort()).toEqual(['billing', 'payments', 'reports']);
    expect(byId.payments!.code).toBe('E_RESOLVE_MISSING');
    expect(byId.payments!.message).toContain('payments 2.0.0 requires fraud.check ^1.0.0, but no module in the catalog provides fraud.check');
    expect(byId.billing!.code).toBe('E_RESOLVE_MISSING');
    expect(byId.billing!.message).toContain('billing 1.4.0 requires payments.charge ^2.0.0');
    expect(byId.billing!.message).toContain('fraud.check');
    expect(byId.reports!.message).toMatch(/reports 1\.0\.0 depends on billing \^1\.0\.0.*billing 1\.4\.0 requires payments\.charge.*fraud\.check/);
  });

  it('never throws for a cycle: the cycle and what needs it are unresolved, the rest runs', async () => {
    const plan = resolvePlan(await catalog('cycle'), { hostVersion: HOST, mode: 'partial' });
    expect(versions(plan)).toEqual({ e: '1.0.0' });
    expect(plan.unresolved.map((u) => [u.id, u.error.code])).toEqual([
      ['a', 'E_RESOLVE_CYCLE'],
      ['b', 'E_RESOLVE_CYCLE'],
      ['c', 'E_RESOLVE_CYCLE'],
      ['d', 'E_RESOLVE_CYCLE'],
    ]);
    expect(plan.unresolved.find((u) => u.id === 'd')!.error.message).toMatch(/cannot resolve module 'd': it needs 'a': modules need each other in a cycle: a -> b -> c -> a/);
  });

  it('keeps earlier requested modules when a later one conflicts with them', async () => {
    const plan = resolvePlan(await catalog('conflict-depends'), { hostVersion: HOST, mode: 'partial' });
    expect(versions(plan)).toEqual({ accounts: '3.1.0', payments: '2.0.0' });
    expect(plan.unresolved.map((u) => [u.id, u.error.code])).toEqual([['reports', 'E_RESOLVE_CONFLICT']]);
  });

  it('returns the same plan as strict mode when everything resolves', async () => {
    const packages = await catalog('diamond');
    const strict = resolvePlan(packages, { hostVersion: HOST });
    const partial = resolvePlan(packages, { hostVersion: HOST, mode: 'partial' });
    expect(summary(partial)).toEqual(summary(strict));
  });
});

// Catalogs loaded once for tests that use them synchronously inside resolveError.
const vitestCatalog = {
  conflict: [] as readonly ModulePackage[],
  conflictDepends: [] as readonly ModulePackage[],
  missing: [] as readonly ModulePackage[],
  cycle: [] as readonly ModulePackage[],
};
beforeAll(async () => {
  vitestCatalog.conflict = await catalog('conflict');
  vitestCatalog.conflictDepends = await catalog('conflict-depends');
  vitestCatalog.missing = await catalog('missing');
  vitestCatalog.cycle = await catalog('cycle');
});

export function summary(plan: ResolvePlan) {
  return {
    levels: plan.levels,
    modules: plan.modules.map((m) => ({ id: m.id, version: m.version, bindings: m.bindings, optional: m.optionalBindings, dependents: m.dependents })),
    unresolved: plan.unresolved.map((u) => [u.id, u.error.code, u.error.message]),
  };
}

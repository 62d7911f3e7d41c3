import { describe, expect, it } from 'vitest';
import { isHotmodError, type HotmodError } from '../../src/errors.js';
import { clientClosure, createCatalogView } from '../../src/registry/index.js';
import { manifest } from '../legacy-bridge/support/catalog.js';

/** app requires pay ^1 (three providers, one out of range), shop depends on app, audit is only optional for app. */
const catalog = createCatalogView(
  [
    manifest('app', { requires: { pay: '^1.0.0' }, optionalRequires: { audit: '^1.0.0' } }),
    manifest('a-pay', { provides: { pay: '1.0.0' } }),
    manifest('z-pay', { provides: { pay: '1.5.0' } }),
    manifest('x-pay', { provides: { pay: '2.0.0' } }),
    manifest('audit', { provides: { audit: '1.0.0' } }),
    manifest('shop', { dependsOn: { app: '^1.0.0' } }),
    manifest('broken', { requires: { pay: '^1.0.0', nothing: '^1.0.0' } }),
  ],
  1,
);

describe('the routing table on a catalog view', () => {
  it('refuses two versions of one id with E_CATALOG_VIEW_DUPLICATE_ID, naming the id and both versions', () => {
    const app = catalog.get('app')!;
    let error: unknown;
    try {
      createCatalogView([app, { ...app, version: '9.9.9' }], 1);
    } catch (e) {
      error = e;
    }
    expect(isHotmodError(error, 'E_CATALOG_VIEW_DUPLICATE_ID'), String(error)).toBe(true);
    expect((error as HotmodError).details).toEqual({ moduleId: 'app', versions: [app.version, '9.9.9'] });
    expect((error as Error).message).toMatch(/module id 'app' appears twice.*pass one version per id/);
  });

  it("binds as the resolver does when the view is built without routes: highest capability version in range", () => {
    expect(catalog.bindings('app')).toEqual({ pay: 'z-pay', audit: 'audit' });
    expect(catalog.providers('pay')).toEqual(['x-pay', 'z-pay', 'a-pay']);
    // Outside the plan: no bindings, and it provides nothing to anyone.
    expect(catalog.bindings('broken')).toBeUndefined();
  });

  it('uses the routes it is given (a host passes its records bindings)', () => {
    const given = createCatalogView(catalog.modules(), 2, new Map<string, Record<string, string>>([['app', { pay: 'a-pay' }], ['a-pay', {}]]));
    expect(given.bindings('app')).toEqual({ pay: 'a-pay' });
    expect(given.providers('pay')).toEqual(['a-pay']);
    expect(clientClosure(given, ['app']).effective).toEqual(new Set(['app', 'a-pay']));
  });
});

describe('clientClosure', () => {
  it("pulls in the bound provider, even when another provider of the capability is enabled", () => {
    expect(clientClosure(catalog, ['app'])).toEqual({
      effective: new Set(['app', 'z-pay']),
      implicit: [{ moduleId: 'z-pay', requiredBy: 'app', need: "capability 'pay' ^1.0.0" }],
      unbound: [],
    });
    expect([...clientClosure(catalog, ['app', 'a-pay']).effective].sort()).toEqual(['a-pay', 'app', 'z-pay']);
  });

  it('follows dependsOn transitively, pulls nothing for optional requirements, and skips ids not in the catalog', () => {
    const c = clientClosure(catalog, ['shop', 'ghost']);
    expect([...c.effective]).toEqual(['shop', 'app', 'z-pay']);
    expect(c.implicit.map((p) => `${p.requiredBy}->${p.moduleId}`)).toEqual(['shop->app', 'app->z-pay']);
    expect(c.effective.has('audit')).toBe(false);
  });

  it('reports the requirements of a module outside the plan as unbound, and pulls nothing for it', () => {
    const c = clientClosure(catalog, ['broken']);
    expect([...c.effective]).toEqual(['broken']);
    expect(c.unbound).toEqual([
      { moduleId: 'broken', need: "capability 'pay' ^1.0.0" },
      { moduleId: 'broken', need: "capability 'nothing' ^1.0.0" },
    ]);
  });
});

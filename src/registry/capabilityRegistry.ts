import semver from 'semver';
import { HotmodError } from '../errors.js';
import { CatalogErrorCode } from './errors.js';
// The resolver's memoized semver: each version and range parsed once.
import { compareVersions, satisfies } from './resolveIndex.js';
import type { ModulePackage } from './types.js';

export interface CapabilityProvider {
  readonly moduleId: string;
  /** The module version. */
  readonly version: string;
  /** The capability version this module version implements. */
  readonly capabilityVersion: string;
}

export interface CapabilityMatch {
  readonly name: string;
  readonly providers: readonly CapabilityProvider[];
}

export interface CapabilityRegistry {
  /** Every capability name, sorted. */
  capabilities(): readonly string[];
  /**
   * Who provides `name` (optionally within a semver `range` of the capability version):
   * highest capability version first, then module id, then module version (highest first).
   * An invalid range is E_CATALOG_QUERY.
   */
  providers(name: string, range?: string): readonly CapabilityProvider[];
  /**
   * Capabilities whose names match `pattern`, sorted by name: `payments.*` matches every
   * name under `payments.` (any depth, not `payments` itself); a `*` inside a pattern
   * matches one segment; `*` alone matches every capability; no `*` is an exact name.
   * A malformed pattern is E_CATALOG_QUERY.
   */
  match(pattern: string): readonly CapabilityMatch[];
}

export function compareProviders(a: CapabilityProvider, b: CapabilityProvider): number {
  return (
    compareVersions(b.capabilityVersion, a.capabilityVersion) ||
    (a.moduleId < b.moduleId ? -1 : a.moduleId > b.moduleId ? 1 : 0) ||
    compareVersions(b.version, a.version)
  );
}

const SEGMENT = /^(\*|[A-Za-z0-9][A-Za-z0-9_-]*)$/;

function queryError(message: string, details: Record<string, unknown>): HotmodError {
  return new HotmodError(CatalogErrorCode.QUERY_INVALID, message, details);
}

function patternToRegExp(pattern: string): RegExp {
  const segments = typeof pattern === 'string' ? pattern.split('.') : [];
  if (segments.length === 0 || !segments.every((s) => SEGMENT.test(s)))
    throw queryError(`capability pattern ${JSON.stringify(pattern)} is malformed; use dot-separated segments where a segment may be '*', e.g. 'payments.*' or '*.invoices'`, { pattern });
  if (pattern === '*') return /^/;
  const trailing = segments.length > 1 && segments[segments.length - 1] === '*';
  const body = (trailing ? segments.slice(0, -1) : segments)
    .map((s) => (s === '*' ? '[^.]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('\\.');
  return new RegExp(`^${body}${trailing ? '\\..+' : ''}$`);
}

/** An index of who provides what, built once from a set of packages (any number of versions per id). */
export function createCapabilityRegistry(packages: readonly ModulePackage[]): CapabilityRegistry {
  const index = new Map<string, CapabilityProvider[]>();
  for (const pkg of packages) {
    for (const [name, capabilityVersion] of Object.entries(pkg.manifest.provides)) {
      let list = index.get(name);
      if (!list) index.set(name, (list = []));
      list.push(Object.freeze({ moduleId: pkg.manifest.id, version: pkg.manifest.version, capabilityVersion }));
    }
  }
  for (const list of index.values()) list.sort(compareProviders);
  const names = Object.freeze([...index.keys()].sort());

  const providers = (name: string, range?: string): readonly CapabilityProvider[] => {
    const list = index.get(name) ?? [];
    if (range === undefined) return list.slice();
    if (typeof range !== 'string' || range.trim() === '' || semver.validRange(range) === null)
      throw queryError(`capability range ${JSON.stringify(range)} for '${name}' is not a valid semver range; use e.g. '^2.1.0'`, { name, range });
    return list.filter((p) => satisfies(p.capabilityVersion, range));
  };
  return Object.freeze({
    capabilities: () => names,
    providers,
    match(pattern: string): readonly CapabilityMatch[] {
      const re = patternToRegExp(pattern);
      return names.filter((n) => re.test(n)).map((name) => Object.freeze({ name, providers: providers(name) }));
    },
  });
}

/**
 * The fetch policy of one module (permission "fetch"): the origins of its manifest's
 * `fetch.origins`, narrowed by the host's `fetch.allowOrigins` when the operator gives
 * one (the intersection), with the host's timeout, response-size cap and redirect limit.
 */
import { normalizeOrigin, type ModuleManifest } from '../registry/index.js';
import { DEFAULT_FETCH_MAX_REDIRECTS, DEFAULT_FETCH_MAX_RESPONSE_BYTES, DEFAULT_FETCH_TIMEOUT_MS, isDuration, type FetchPolicy } from '../sandbox/index.js';
import type { HostFetchOptions } from './types.js';

/** The host's fetch options, checked; throws `invalid(reason)` for the first bad one. */
export function checkHostFetch(options: HostFetchOptions | undefined, invalid: (reason: string) => Error): HostFetchOptions | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw invalid('option "fetch" must be an object');
  let allowOrigins: string[] | undefined;
  if (options.allowOrigins !== undefined) {
    if (!Array.isArray(options.allowOrigins)) throw invalid('fetch.allowOrigins must be an array of origins');
    allowOrigins = options.allowOrigins.map((o) => {
      const origin = normalizeOrigin(o);
      if (origin === undefined) throw invalid(`fetch.allowOrigins: ${JSON.stringify(o)} is not an http(s) origin (scheme, host and port only)`);
      return origin;
    });
  }
  if (options.timeoutMs !== undefined && !isDuration(options.timeoutMs)) throw invalid(`fetch.timeoutMs must be a positive number of milliseconds, got ${String(options.timeoutMs)}`);
  for (const key of ['maxResponseBytes', 'maxRedirects'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= (key === 'maxRedirects' ? 0 : 1))) throw invalid(`fetch.${key} must be a whole number${key === 'maxRedirects' ? ', 0 or more' : ' above 0'}, got ${String(v)}`);
  }
  return { ...options, ...(allowOrigins === undefined ? {} : { allowOrigins }) };
}

/** What the module's sandbox may fetch, or undefined without the permission. */
export function fetchPolicyFor(manifest: ModuleManifest, host: HostFetchOptions | undefined): FetchPolicy | undefined {
  if (!manifest.permissions.includes('fetch')) return undefined;
  const declared = manifest.fetch?.origins ?? [];
  const allowed = host?.allowOrigins;
  return {
    origins: allowed === undefined ? [...declared] : declared.filter((o) => allowed.includes(o)),
    timeoutMs: host?.timeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    maxResponseBytes: host?.maxResponseBytes ?? DEFAULT_FETCH_MAX_RESPONSE_BYTES,
    maxRedirects: host?.maxRedirects ?? DEFAULT_FETCH_MAX_REDIRECTS,
  };
}

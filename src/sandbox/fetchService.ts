/**
 * The host side of a module's `fetch` (permission "fetch"): the isolate hands over the
 * request as JSON text of primitives, the host makes it with Node's global fetch and hands
 * back the response as JSON text of primitives (status, headers, body as a latin1 string
 * of its bytes). Only origins in the sandbox's FetchPolicy are reached: the request's own
 * URL and every redirect, which is followed here (redirect: 'manual'), at most
 * maxRedirects times, and only to an allowed origin. The whole exchange, body included,
 * is bounded by timeoutMs, and the body is read as a stream and cut off past
 * maxResponseBytes. Every refusal is a coded HotmodError (SandboxErrorCode.FETCH_*).
 */
import { HotmodError } from '../errors.js';
import { SandboxErrorCode } from './errors.js';

/** What one sandbox may fetch: decided by the runtime (manifest origins ∩ the host's allow-list). */
export interface FetchPolicy {
  /** Allowed origins, normalized (`new URL(x).origin`, e.g. 'https://api.example.com'). */
  origins: readonly string[];
  /** Budget of one fetch, redirects and body included. */
  timeoutMs: number;
  /** Largest response body, in bytes. */
  maxResponseBytes: number;
  /** Most redirects followed. */
  maxRedirects: number;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;
export const DEFAULT_FETCH_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
export const DEFAULT_FETCH_MAX_REDIRECTS = 5;

interface WireRequest {
  method: string;
  url: string;
  headers: [string, string][];
  /** The body's bytes as a latin1 string, or undefined. */
  body?: string;
  redirect: 'follow' | 'error' | 'manual';
}

export interface WireResponse {
  status: number;
  statusText: string;
  headers: [string, string][];
  url: string;
  redirected: boolean;
  /** The body's bytes as a latin1 string. */
  body: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Makes one request for module `moduleId` under `policy`. `signal` aborts it (the sandbox
 * was disposed). Resolves to the response's wire form; rejects with a coded HotmodError.
 */
export async function hostFetch(moduleId: string, policy: FetchPolicy | undefined, requestText: unknown, maxRequestLength: number, signal: AbortSignal): Promise<WireResponse> {
  const details = { moduleId };
  if (policy === undefined) {
    throw new HotmodError(SandboxErrorCode.FETCH_DENIED, `module '${moduleId}' may not fetch: it was not granted the "fetch" permission with a fetch policy; add "fetch" to the manifest's permissions and the origins to "fetch": { "origins": [...] }`, details);
  }
  if (typeof requestText !== 'string' || requestText.length > maxRequestLength) {
    throw new HotmodError(SandboxErrorCode.FETCH_INVALID, `module '${moduleId}': the fetch request is not readable or over ${maxRequestLength} characters; send a smaller body`, details);
  }
  const request = JSON.parse(requestText) as WireRequest;
  let url = parseUrl(moduleId, request.url);
  checkOrigin(moduleId, policy, url, undefined);
  let method = String(request.method).toUpperCase();
  let body: Buffer | undefined = typeof request.body === 'string' ? Buffer.from(request.body, 'latin1') : undefined;
  let headers = Array.isArray(request.headers) ? request.headers.filter((h) => Array.isArray(h) && typeof h[0] === 'string' && typeof h[1] === 'string') : [];
  const timeout = AbortSignal.timeout(policy.timeoutMs);
  const both = AbortSignal.any([timeout, signal]);
  let redirects = 0;
  try {
    for (;;) {
      const response = await fetch(url, { method, headers, body: body === undefined ? undefined : new Uint8Array(body), redirect: 'manual', signal: both });
      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location !== null && request.redirect !== 'manual') {
        await response.body?.cancel().catch(() => {});
        const next = parseUrl(moduleId, location, url);
        if (request.redirect === 'error') {
          throw new HotmodError(SandboxErrorCode.FETCH_REDIRECT, `module '${moduleId}': ${url.href} redirected to ${next.href} and the request said redirect: 'error'`, { ...details, url: url.href, location: next.href });
        }
        checkOrigin(moduleId, policy, next, url);
        if (++redirects > policy.maxRedirects) {
          throw new HotmodError(SandboxErrorCode.FETCH_REDIRECT, `module '${moduleId}': fetch of ${request.url} redirected more than ${policy.maxRedirects} times; fetch the final URL directly`, { ...details, url: request.url, maxRedirects: policy.maxRedirects });
        }
        if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
          if (method !== 'HEAD') method = 'GET';
          body = undefined;
        }
        // As browsers do: credentials meant for one origin do not follow a redirect to another.
        if (next.origin !== url.origin) headers = headers.filter(([name]) => name.toLowerCase() !== 'authorization' && name.toLowerCase() !== 'cookie');
        url = next;
        continue;
      }
      const bytes = await readCapped(moduleId, policy, response, url);
      return {
        status: response.status,
        statusText: response.statusText,
        headers: [...response.headers],
        url: url.href,
        redirected: redirects > 0,
        body: bytes.toString('latin1'),
      };
    }
  } catch (error) {
    if (error instanceof HotmodError) throw error;
    if (timeout.aborted) {
      throw new HotmodError(SandboxErrorCode.FETCH_TIMEOUT, `module '${moduleId}': fetch of ${url.href} did not finish within ${policy.timeoutMs} ms; the server is slow or the response too long (the host's fetch.timeoutMs)`, { ...details, url: url.href, timeoutMs: policy.timeoutMs }, { cause: error });
    }
    const reason = describeCause(error);
    throw new HotmodError(SandboxErrorCode.FETCH_FAILED, `module '${moduleId}': fetch of ${url.href} failed: ${reason}`, { ...details, url: url.href, reason }, { cause: error });
  }
}

function parseUrl(moduleId: string, text: unknown, base?: URL): URL {
  try {
    const url = new URL(String(text), base);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  } catch {
    // below
  }
  throw new HotmodError(SandboxErrorCode.FETCH_INVALID, `module '${moduleId}': cannot fetch ${JSON.stringify(String(text))}: only absolute http(s) URLs can be fetched`, { moduleId, url: String(text) });
}

function checkOrigin(moduleId: string, policy: FetchPolicy, url: URL, from: URL | undefined): void {
  if (policy.origins.includes(url.origin)) return;
  const allowed = policy.origins.length === 0 ? 'none' : policy.origins.join(', ');
  if (from !== undefined) {
    throw new HotmodError(
      SandboxErrorCode.FETCH_REDIRECT,
      `module '${moduleId}': ${from.href} redirected to ${url.href}, whose origin ${url.origin} is not allowed (allowed: ${allowed}); add it to "fetch.origins" (and the host's fetch.allowOrigins) or fetch the allowed URL directly`,
      { moduleId, url: from.href, location: url.href, origin: url.origin },
    );
  }
  throw new HotmodError(
    SandboxErrorCode.FETCH_DENIED,
    `module '${moduleId}' may not fetch ${url.href}: the origin ${url.origin} is not allowed (allowed: ${allowed}); add it to the manifest's "fetch.origins" and, if the host narrows them, to its fetch.allowOrigins`,
    { moduleId, url: url.href, origin: url.origin, allowed: [...policy.origins] },
  );
}

async function readCapped(moduleId: string, policy: FetchPolicy, response: Response, url: URL): Promise<Buffer> {
  const max = policy.maxResponseBytes;
  const tooLarge = (length: number) =>
    new HotmodError(SandboxErrorCode.FETCH_TOO_LARGE, `module '${moduleId}': the response of ${url.href} is ${length} bytes or more, over the limit of ${max}; ask for less (the host's fetch.maxResponseBytes)`, {
      moduleId,
      url: url.href,
      length,
      limit: max,
    });
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(declared);
  }
  if (response.body === null) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge(total);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total);
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.message === 'string') return typeof cause.code === 'string' ? `${cause.code}: ${cause.message}` : cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Who may open the console: never anyone by default. The application gives either a
 * bearer token (requests carry `Authorization: Bearer <token>`, or the session cookie the
 * console's sign-in form sets from it) or its own `authorize(request)` hook (its session,
 * its SSO). Everything under the console answers 401 E_CONSOLE_UNAUTHORIZED otherwise,
 * except its static assets (no data in them) and the sign-in exchange.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HotmodError } from '../../index.js';
import { FastifyErrorCode } from '../errors.js';

/** The plugin's `console` option (docs/console.md). Give exactly one of the two. */
export interface HotmodConsoleOptions {
  /**
   * A shared secret of at least 16 characters. API clients send `Authorization: Bearer <token>`;
   * a browser signs in once on the console's page, which sets an HttpOnly, SameSite=Strict
   * session cookie derived from the token (the token itself is never stored in the browser).
   */
  bearerToken?: string;
  /** The application's own check: resolve true to let the request in (a false or a throw answers 401). */
  authorize?(request: FastifyRequest): boolean | Promise<boolean>;
}

export const MIN_TOKEN_LENGTH = 16;
export const SESSION_COOKIE = 'hotmod_console';

/** Checks the option; throws E_PLUGIN_OPTIONS_INVALID for anything that would leave the console open or unusable. */
export function checkConsoleOptions(options: unknown): HotmodConsoleOptions {
  const bad = (reason: string): never => {
    throw new HotmodError(FastifyErrorCode.PLUGIN_OPTIONS_INVALID, `hotmod plugin: console ${reason}; give console: { bearerToken: '<16+ characters>' } or console: { authorize(request) { … } } (docs/console.md)`, { reason });
  };
  if (typeof options !== 'object' || options === null) return bad('must be an object');
  const o = options as HotmodConsoleOptions;
  if ((o.bearerToken === undefined) === (o.authorize === undefined)) bad(o.bearerToken === undefined ? 'has neither bearerToken nor authorize: it is never open by default' : 'has both bearerToken and authorize: give one');
  if (o.bearerToken !== undefined && (typeof o.bearerToken !== 'string' || o.bearerToken.length < MIN_TOKEN_LENGTH)) bad(`bearerToken must be a string of at least ${MIN_TOKEN_LENGTH} characters`);
  if (o.authorize !== undefined && typeof o.authorize !== 'function') bad('authorize must be a function');
  return o;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The cookie value for a token: an HMAC, so the cookie is not the token. */
function sessionValue(token: string): string {
  return createHmac('sha256', token).update('hotmod console session v1').digest('base64url');
}

function cookie(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearer(request: FastifyRequest): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return m?.[1];
}

export class ConsoleAuth {
  readonly #options: HotmodConsoleOptions;
  readonly #session: string | undefined;

  constructor(options: HotmodConsoleOptions) {
    this.#options = options;
    this.#session = options.bearerToken !== undefined ? sessionValue(options.bearerToken) : undefined;
  }

  /** True when the console signs browsers in with the token (the sign-in form is shown). */
  get usesToken(): boolean {
    return this.#options.bearerToken !== undefined;
  }

  async allowed(request: FastifyRequest): Promise<boolean> {
    const { bearerToken, authorize } = this.#options;
    if (authorize) {
      try {
        return (await authorize(request)) === true;
      } catch {
        return false;
      }
    }
    const given = bearer(request);
    if (given !== undefined) return same(given, bearerToken!);
    const session = cookie(request, SESSION_COOKIE);
    return session !== undefined && same(session, this.#session!);
  }

  /** The sign-in exchange: a request with the right bearer token gets the session cookie. */
  signIn(request: FastifyRequest, reply: FastifyReply, path: string): boolean {
    const given = bearer(request);
    if (this.#session === undefined || given === undefined || !same(given, this.#options.bearerToken!)) return false;
    const secure = request.protocol === 'https' ? '; Secure' : '';
    reply.header('set-cookie', `${SESSION_COOKIE}=${this.#session}; HttpOnly; SameSite=Strict; Path=${path}${secure}`);
    return true;
  }

  signOut(reply: FastifyReply, path: string): void {
    reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=${path}; Max-Age=0`);
  }
}

export function unauthorized(request: FastifyRequest): HotmodError {
  return new HotmodError(
    FastifyErrorCode.CONSOLE_UNAUTHORIZED,
    `the hotmod console needs authorization for ${request.method} ${request.url.split('?')[0]}: send Authorization: Bearer <token>, or sign in on the console's page (docs/console.md)`,
    {},
  );
}

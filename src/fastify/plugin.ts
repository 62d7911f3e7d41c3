/**
 * The Fastify plugin: puts a hotmod host on a Fastify instance (`fastify.hotmod`),
 * starts it while the server boots, stops it when the server closes, and, when asked,
 * mounts the HTTP routes of routes.ts.
 */
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { createHost, HotmodError, isHotmodError, type Host, type HostOptions } from '../index.js';
import { FastifyErrorCode } from './errors.js';
import { HostLifecycle } from './lifecycle.js';
import { hotmodRoutes } from './routes.js';
import { checkConsoleOptions, type HotmodConsoleOptions } from './console/auth.js';

export interface HotmodPluginOptions {
  /** A host you created (started or not). Give this or `hostOptions`, not both. */
  host?: Host;
  /** Options for a host the plugin creates with `createHost`. */
  hostOptions?: HostOptions;
  /**
   * Mount the HTTP routes (docs/fastify.md). `true` mounts them at the root; `{ prefix }`
   * under a prefix such as '/hotmod'. Default false: an embedding application decides
   * whether enable / invoke / overrides are reachable over HTTP at all.
   */
  routes?: boolean | { prefix?: string };
  /**
   * The operator's console under `<routes prefix>/console` (docs/console.md). Off unless
   * given, and then only with a guard: `{ bearerToken }` (16+ characters) or
   * `{ authorize(request) }` (the application's own check). Needs `routes`.
   */
  console?: HotmodConsoleOptions;
  /** Stop the host when Fastify closes. Default true. */
  closeHost?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The hotmod host registered by `hotmod/fastify`. */
    hotmod: Host;
  }
}

function routePrefix(routes: HotmodPluginOptions['routes']): string | undefined {
  if (routes === undefined || routes === false) return undefined;
  if (routes === true) return '';
  const prefix = routes.prefix ?? '';
  if (prefix !== '' && !/^\/[A-Za-z0-9._~\/-]*[^/]$/.test(prefix)) {
    throw new HotmodError(
      FastifyErrorCode.PLUGIN_OPTIONS_INVALID,
      `hotmod plugin: routes.prefix '${prefix}' is not a URL path; use a path such as '/hotmod' (leading slash, no trailing slash)`,
      { prefix },
    );
  }
  return prefix;
}

async function startHost(host: Host): Promise<void> {
  try {
    await host.start();
  } catch (error) {
    // Given a host that is already started: that is fine, use it as it is.
    if (!isHotmodError(error, 'E_HOST_ALREADY_STARTED')) throw error;
  }
}

async function hotmodPluginImpl(fastify: FastifyInstance, options: HotmodPluginOptions): Promise<void> {
  if ((options.host === undefined) === (options.hostOptions === undefined)) {
    throw new HotmodError(
      FastifyErrorCode.PLUGIN_OPTIONS_INVALID,
      `hotmod plugin: give exactly one of 'host' (a host you created) or 'hostOptions' (for createHost); got ${options.host ? 'both' : 'neither'}`,
      { host: options.host !== undefined, hostOptions: options.hostOptions !== undefined },
    );
  }
  const prefix = routePrefix(options.routes);
  const consoleOptions = options.console === undefined ? undefined : checkConsoleOptions(options.console);
  if (consoleOptions && prefix === undefined) {
    throw new HotmodError(FastifyErrorCode.PLUGIN_OPTIONS_INVALID, "hotmod plugin: the console is served under the routes prefix; give routes: true or routes: { prefix: '/hotmod' } with console", { console: true, routes: false });
  }
  const host = options.host ?? (await createHost(options.hostOptions!));
  const lifecycle = new HostLifecycle();

  fastify.decorate('hotmod', host);
  if (options.closeHost !== false) {
    // Fastify's own onClose (closing the HTTP server, waiting for in-flight requests)
    // runs before the plugins' hooks, so no request is cut off by the host stopping.
    fastify.addHook('onClose', async () => {
      lifecycle.set('stopping');
      try {
        await host.stop();
      } finally {
        lifecycle.set('stopped');
      }
    });
  }
  if (prefix !== undefined) {
    await fastify.register(hotmodRoutes, {
      prefix,
      host,
      lifecycle,
      ...(consoleOptions ? { console: consoleOptions } : {}),
    });
  }

  try {
    await startHost(host);
  } catch (error) {
    lifecycle.set('stopped');
    // A host we created is ours to clean up; a failed start leaves nothing running.
    if (options.host === undefined) await host.stop().catch(() => undefined);
    throw error;
  }
  lifecycle.set('running');
}

/** `hotmod/fastify`: registers a hotmod host on a Fastify instance. */
export const hotmodPlugin = fp(hotmodPluginImpl, { name: 'hotmod', fastify: '5.x' });

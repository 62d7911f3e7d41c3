/**
 * The plugin's HTTP routes, registered in their own encapsulated context so that the
 * error handler, the not-found handler and the validator compiler apply to these routes
 * only, never to the application's own.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HotmodError, HOTMOD_VERSION, renderExplanation, type Host, type InvokeOptions } from '../index.js';
import { FastifyErrorCode } from './errors.js';
import { hotmodErrorHandler } from './errorReply.js';
import type { HotmodConsoleOptions } from './console/auth.js';
import { consoleRoutes } from './console/consoleRoutes.js';
import type { HostLifecycle } from './lifecycle.js';
import {
  clientModuleParams,
  clientParams,
  enableBody,
  invokeHeaders,
  invokeParams,
  invokeQuerystring,
  overridesBody,
  rolloutAbortBody,
  fleetQuerystring,
  rolloutParams,
  rolloutStartBody,
} from './schemas.js';
import { useJsonBodies } from './jsonBody.js';
import { createValidatorCompiler } from './validatorCompiler.js';

export interface RouteContext {
  host: Host;
  lifecycle: HostLifecycle;
  /** The URL prefix the routes are mounted under ('' for the root). */
  prefix: string;
  /** The operator's console under `<prefix>/console`, when the plugin was given the option (checked). */
  console?: HotmodConsoleOptions;
}

interface ClientParams {
  id: string;
}
interface ClientModuleParams {
  id: string;
  moduleId: string;
}
interface InvokeParams {
  id: string;
  capability: string;
  method: string;
}
interface InvokeQuery {
  timeoutMs?: number;
}
interface InvokeHeaders {
  'timeout-ms'?: number;
  'x-request-id'?: string;
}

const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** The methods a coded 404 is answered for at the root (HEAD follows GET in Fastify). */
const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
/** The routes' paths and methods, for the coded 404s at the root. */
const ROOT_ROUTES: readonly { url: string; methods: readonly string[] }[] = [
  { url: '/health', methods: ['GET'] },
  { url: '/modules', methods: ['GET'] },
  { url: '/metrics', methods: ['GET'] },
  { url: '/clients/:id/modules', methods: ['GET'] },
  { url: '/clients/:id/modules/:moduleId/explain', methods: ['GET'] },
  { url: '/clients/:id/modules/:moduleId/enable', methods: ['POST'] },
  { url: '/clients/:id/modules/:moduleId/disable', methods: ['POST'] },
  { url: '/clients/:id/invoke/:capability/:method', methods: ['POST'] },
  { url: '/clients/:id/overrides', methods: ['GET', 'PUT'] },
  { url: '/clients/:id/overrides/reset', methods: ['POST'] },
  { url: '/fleet', methods: ['GET'] },
  { url: '/rollouts', methods: ['GET', 'POST'] },
  { url: '/rollouts/:id', methods: ['GET'] },
  { url: '/rollouts/:id/promote', methods: ['POST'] },
  { url: '/rollouts/:id/pause', methods: ['POST'] },
  { url: '/rollouts/:id/resume', methods: ['POST'] },
  { url: '/rollouts/:id/abort', methods: ['POST'] },
];

function missingPart(part: 'legacy' | 'unifier', route: string): HotmodError {
  return new HotmodError(
    FastifyErrorCode.HOST_NOT_READY,
    `${route} needs host.${part}, which this host does not have; create the host with a store ('pglite://…', 'postgres://…' or 'memory')`,
    { part },
  );
}

export async function hotmodRoutes(app: FastifyInstance, ctx: RouteContext): Promise<void> {
  const { host, lifecycle } = ctx;
  app.setValidatorCompiler(createValidatorCompiler());
  app.setErrorHandler(hotmodErrorHandler);
  useJsonBodies(app);
  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    hotmodErrorHandler(
      new HotmodError(
        FastifyErrorCode.ROUTE_NOT_FOUND,
        `no hotmod route for ${request.method} ${request.url.split('?')[0]}; the routes are listed in docs/fastify.md`,
        { method: request.method, url: request.url },
      ),
      request,
      reply,
    );
  // A 404 handler of our own only under a prefix: at the root it would take over the
  // application's 404s. There, the routes' own paths answer the methods they lack, and
  // anything under /clients/, with the coded 404 instead (see the end of this function).
  if (ctx.prefix !== '') app.setNotFoundHandler(notFound);

  app.get('/health', async (_request, reply) => {
    // A host stopped outside the plugin (host.stop() by the app) is seen through host.phase.
    const phase = host.phase === 'running' ? lifecycle.phase : host.phase;
    if (phase !== 'running') {
      return reply.code(503).send({
        status: 'unavailable',
        state: phase,
        version: HOTMOD_VERSION,
        error: {
          code: FastifyErrorCode.HOST_NOT_READY,
          message: `the hotmod host is ${phase}, not running; retry once it has started`,
          details: { state: phase, forMs: lifecycle.phaseMs },
        },
      });
    }
    const byState: Record<string, number> = {};
    const modules = host.status();
    for (const module of modules) byState[module.state] = (byState[module.state] ?? 0) + 1;
    const failed = (byState['failed'] ?? 0) + (byState['unresolved'] ?? 0);
    // Failed modules degrade the host but do not make it unavailable: the others serve.
    return {
      status: failed > 0 ? 'degraded' : 'ok',
      state: phase,
      version: HOTMOD_VERSION,
      uptimeMs: lifecycle.phaseMs,
      modules: { total: modules.length, byState },
    };
  });

  app.get('/modules', async () => ({ modules: host.status() }));

  app.get<{ Params: ClientParams }>('/clients/:id/modules', { schema: { params: clientParams } }, async (request) => {
    const clientId = request.params.id;
    return { clientId, modules: await host.client(clientId).modules() };
  });

  // host.explain: the chain of facts, and the same as sentences (docs/fastify.md).
  app.get<{ Params: ClientModuleParams }>('/clients/:id/modules/:moduleId/explain', { schema: { params: clientModuleParams } }, async (request) => {
    const explanation = await host.explain(request.params.id, request.params.moduleId);
    return { ...explanation, text: renderExplanation(explanation).split('\n').slice(1).map((line) => line.trim()) };
  });

  const setEnabled = (enabled: boolean) =>
    async (request: FastifyRequest<{ Params: ClientModuleParams; Body: { useAdvanced?: boolean; createClient?: boolean } | null }>) => {
      const { id: clientId, moduleId } = request.params;
      // Read per request: the host builds its unifier at start (none with store 'none').
      const unifier = host.unifier;
      if (!unifier) throw missingPart('unifier', `${request.method} ${request.url}`);
      // A client neither system knows is refused (E_CLIENT_UNKNOWN, 404) unless the body says it is created.
      const write = { createClient: request.body?.createClient === true };
      const changed = enabled
        ? await unifier.enableModule(clientId, moduleId, request.body?.useAdvanced, write)
        : await unifier.disableModule(clientId, moduleId, write);
      const modules = await host.client(clientId).modules();
      return {
        clientId,
        moduleId,
        enabled,
        changed,
        module: modules.find((m) => m.moduleId === moduleId) ?? null,
      };
    };
  const enableSchema = { params: clientModuleParams, body: enableBody };
  app.post('/clients/:id/modules/:moduleId/enable', { schema: enableSchema }, setEnabled(true));
  app.post('/clients/:id/modules/:moduleId/disable', { schema: enableSchema }, setEnabled(false));

  app.post<{ Params: InvokeParams; Querystring: InvokeQuery; Headers: InvokeHeaders; Body: unknown }>(
    '/clients/:id/invoke/:capability/:method',
    { schema: { params: invokeParams, querystring: invokeQuerystring, headers: invokeHeaders } },
    async (request, reply) => {
      const { id, capability, method } = request.params;
      const headers = request.headers;
      const requestId = headers['x-request-id'] ?? String(request.id);
      const options: InvokeOptions = { requestId };
      const timeoutMs = request.query.timeoutMs ?? headers['timeout-ms'];
      if (timeoutMs !== undefined) options.timeoutMs = timeoutMs;
      const result = await host.client(id).invoke(capability, method, request.body, options);
      reply.header('x-request-id', requestId);
      // JSON has no undefined: a method that returns nothing answers { "result": null }.
      return { result: result ?? null };
    },
  );

  app.get<{ Params: ClientParams }>('/clients/:id/overrides', { schema: { params: clientParams } }, async (request) => {
    const clientId = request.params.id;
    const legacy = host.legacy;
    if (!legacy) throw missingPart('legacy', `GET ${request.url}`);
    const row = await legacy.getModuleOverrides(clientId);
    if (row === null || row === undefined) {
      throw new HotmodError(
        FastifyErrorCode.OVERRIDES_NOT_FOUND,
        `client '${clientId}' has no client_app_overrides row; PUT /clients/${clientId}/overrides with { "modulesEnabled": [...] } creates one`,
        { clientId },
      );
    }
    return row;
  });

  app.put<{ Params: ClientParams; Body: { modulesEnabled: string[] } }>(
    '/clients/:id/overrides',
    { schema: { params: clientParams, body: overridesBody } },
    async (request) => {
      const clientId = request.params.id;
      const legacy = host.legacy;
      if (!legacy) throw missingPart('legacy', `PUT ${request.url}`);
      return legacy.saveModuleOverrides(clientId, request.body.modulesEnabled);
    },
  );

  app.post<{ Params: ClientParams }>(
    '/clients/:id/overrides/reset',
    { schema: { params: clientParams } },
    async (request) => {
      const clientId = request.params.id;
      const legacy = host.legacy;
      if (!legacy) throw missingPart('legacy', `POST ${request.url}`);
      return legacy.resetToDefaults(clientId);
    },
  );

  // The fleet view (docs/fleet.md): every host with a heartbeat in the store, what it serves, the rollout stages.
  app.get<{ Querystring: { staleAfter?: number } }>('/fleet', { schema: { querystring: fleetQuerystring } }, async (request) =>
    host.fleet(request.query.staleAfter === undefined ? {} : { staleAfter: request.query.staleAfter }),
  );
  // Rollouts (docs/rollouts.md): host.rollouts; `:id` is a rollout id or a module id (its live rollout).
  app.get('/rollouts', async () => ({ rollouts: await host.rollouts.list() }));
  app.post<{ Body: Parameters<Host['rollouts']['start']>[0] }>('/rollouts', { schema: { body: rolloutStartBody } }, async (request, reply) =>
    reply.code(201).send(await host.rollouts.start(request.body)),
  );
  app.get<{ Params: { id: string } }>('/rollouts/:id', { schema: { params: rolloutParams } }, async (request) => host.rollouts.status(request.params.id));
  for (const op of ['promote', 'pause', 'resume'] as const)
    app.post<{ Params: { id: string } }>(`/rollouts/:id/${op}`, { schema: { params: rolloutParams } }, async (request) => host.rollouts[op](request.params.id));
  app.post<{ Params: { id: string }; Body: { reason?: string } | null }>('/rollouts/:id/abort', { schema: { params: rolloutParams, body: rolloutAbortBody } }, async (request) =>
    host.rollouts.abort(request.params.id, request.body?.reason),
  );

  app.get('/metrics', async (_request, reply: FastifyReply) => {
    const text = await host.prometheus();
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });

  if (ctx.console) await app.register(consoleRoutes, { prefix: '/console', host, options: ctx.console, base: `${ctx.prefix}/console` });

  if (ctx.prefix === '') {
    for (const route of ROOT_ROUTES) {
      const methods = OTHER_METHODS.filter((m) => !route.methods.includes(m));
      if (methods.length > 0) app.route({ method: methods, url: route.url, handler: notFound });
    }
    app.route({ method: OTHER_METHODS, url: '/clients/*', handler: notFound });
  }
}

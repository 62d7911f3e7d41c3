/**
 * The operator's console (docs/console.md): pages and their JSON/stream endpoints under
 * `<routes prefix>/console`, in an encapsulated context whose onRequest hook lets in only
 * what the application's `console` option authorizes. Registered by hotmodRoutes when the
 * plugin is given `console: { bearerToken } | { authorize }`; never otherwise.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { HotmodError, type Explanation, type Host, type MigrationStrategy } from '../../index.js';
import { FastifyErrorCode } from '../errors.js';
import { hotmodErrorHandler } from '../errorReply.js';
import { CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { ConsoleAuth, unauthorized, type HotmodConsoleOptions } from './auth.js';
import { ConsoleMigrations } from './migrations.js';
import { moduleRows } from './moduleRows.js';
import { ConsoleHub } from './sse.js';
import { clientsPage, eventsPage, migrationsPage, modulePage, modulesPage, notFoundPage, runRows, signInPage, type ClientView } from './views.js';

export interface ConsoleContext {
  host: Host;
  options: HotmodConsoleOptions;
  /** The console's own URL path: `<routes prefix>/console`. */
  base: string;
}

const runParams = { type: 'object', properties: { runId: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['runId'] } as const;
const moduleParams = { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 214 } }, required: ['id'] } as const;
const startBody = {
  type: ['object', 'null'],
  properties: { strategy: { enum: ['merge', 'replace', 'preserve'] }, batchSize: { type: 'integer', minimum: 1, maximum: 10_000 }, dryRun: { type: 'boolean' } },
  additionalProperties: false,
} as const;
const rollbackBody = { type: ['object', 'null'], properties: { confirm: { type: 'string', maxLength: 100 } }, additionalProperties: false } as const;
const clientsQuery = { type: 'object', properties: { client: { type: 'string', maxLength: 200 } } } as const;

/** Modules whose explanation the client page shows at most (the catalog's, then legacy-only records). */
const EXPLAINED_MAX = 200;

const html = (reply: FastifyReply, body: string, status = 200) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(body);

export async function consoleRoutes(app: FastifyInstance, ctx: ConsoleContext): Promise<void> {
  const { host, base } = ctx;
  const auth = new ConsoleAuth(ctx.options);
  const hub = new ConsoleHub(host);
  const migrations = new ConsoleMigrations(host, hub);
  // Before the server closes: open streams would otherwise keep it waiting.
  app.addHook('preClose', async () => hub.close());

  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true) return;
    if (!(await auth.allowed(request))) {
      reply.header('www-authenticate', 'Bearer realm="hotmod console"');
      const wantsPage = request.method === 'GET' && !request.url.startsWith(`${base}/api/`) && (request.headers.accept ?? '').includes('text/html');
      if (wantsPage) return html(reply, signInPage(base, auth.usesToken), 401);
      return hotmodErrorHandler(unauthorized(request), request, reply);
    }
    // Writes need a header a cross-site form cannot send (the session cookie is SameSite=Strict too).
    if (request.method === 'POST' && request.headers['x-hotmod-console'] !== '1') {
      throw new HotmodError(FastifyErrorCode.BAD_REQUEST, `${request.method} ${request.url.split('?')[0]}: console writes need the header x-hotmod-console: 1 (a guard against cross-site requests)`, { header: 'x-hotmod-console' });
    }
  });

  // Public: the assets (no data in them) and the sign-in exchange.
  const publicRoute = { config: { public: true } };
  app.get('/assets/console.css', publicRoute, async (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_CSS));
  app.get('/assets/console.js', publicRoute, async (_request, reply) => reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(CONSOLE_JS));
  app.post('/session', publicRoute, async (request, reply) => {
    if (!auth.signIn(request, reply, base)) return hotmodErrorHandler(unauthorized(request), request, reply);
    return reply.code(204).send();
  });
  app.post('/session/end', async (_request, reply) => {
    auth.signOut(reply, base);
    return reply.code(204).send();
  });

  // Pages.
  app.get('/', async (_request, reply) => html(reply, modulesPage(base, moduleRows(host))));

  app.get<{ Params: { id: string } }>('/modules/:id', { schema: { params: moduleParams } }, async (request, reply) => {
    const all = host.status();
    const status = all.find((s) => s.id === request.params.id);
    if (!status) return html(reply, notFoundPage(base, `No module '${request.params.id}' in the running catalog.`), 404);
    const row = moduleRows(host).find((r) => r.id === status.id)!;
    // The whole manifest of the version that runs: the resolver's plan over the packages the host holds.
    const plan = await host.resolve([status.id]).catch(() => undefined);
    const manifest = plan?.modules.find((m) => m.id === status.id && m.version === status.version)?.pkg.manifest;
    return html(reply, modulePage(base, status, row, all, hub.events({ moduleId: status.id, types: ['module:failed', 'swap:failed'] }), manifest));
  });

  app.get<{ Querystring: { client?: string } }>('/clients', { schema: { querystring: clientsQuery } }, async (request, reply) => {
    const query = (request.query.client ?? '').trim();
    if (query === '') return html(reply, clientsPage(base, '', undefined, undefined));
    let view: ClientView | undefined;
    let error: string | undefined;
    try {
      const client = host.client(query);
      const modules = await client.modules();
      const explanations = new Map<string, Explanation>();
      for (const m of modules.slice(0, EXPLAINED_MAX)) {
        const e = await host.explain(client.clientId, m.moduleId).catch(() => undefined);
        if (e) explanations.set(m.moduleId, e);
      }
      view = { clientId: client.clientId, modules, explanations };
    } catch (e) {
      error = e instanceof HotmodError ? `${e.code}: ${e.message}` : String(e);
    }
    return html(reply, clientsPage(base, query, view, error), error === undefined ? 200 : 400);
  });

  app.get('/migrations', async (_request, reply) => {
    try {
      return html(reply, migrationsPage(base, await migrations.list(), migrations.current));
    } catch (e) {
      return html(reply, migrationsPage(base, [], migrations.current, e instanceof HotmodError ? `${e.code}: ${e.message}` : String(e)));
    }
  });
  app.get('/migrations/rows', async (_request, reply) => html(reply, runRows(base, await migrations.list())));

  app.get('/events', async (_request, reply) => html(reply, eventsPage(base, hub.events())));

  // Data.
  app.get('/api/stream', (request, reply) => hub.open(request, reply));
  app.get('/api/modules', async () => ({ modules: moduleRows(host) }));
  app.get('/api/events', async () => ({ events: hub.events() }));
  app.get('/api/migrations', async () => ({ runs: await migrations.list(), current: migrations.current ?? null }));
  app.post<{ Body: { strategy?: MigrationStrategy; batchSize?: number; dryRun?: boolean } | null }>('/api/migrations', { schema: { body: startBody } }, async (request, reply) =>
    reply.code(202).send(await migrations.start(request.body ?? {})),
  );
  app.get<{ Params: { runId: string } }>('/api/migrations/:runId', { schema: { params: runParams } }, async (request) => migrations.progress(request.params.runId));
  app.post<{ Params: { runId: string } }>('/api/migrations/:runId/verify', { schema: { params: runParams } }, async (request) => migrations.verify(request.params.runId));
  app.post<{ Params: { runId: string }; Body: { confirm?: string } | null }>('/api/migrations/:runId/rollback', { schema: { params: runParams, body: rollbackBody } }, async (request) =>
    migrations.rollback(request.params.runId, request.body?.confirm),
  );
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** A console route open without authorization (its assets, the sign-in exchange). */
    public?: boolean;
  }
}


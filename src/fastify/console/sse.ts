/**
 * The console's live feed: one server-sent-events stream per open page. The hub listens to
 * the host's events from the moment the plugin registers (so the events page and a module's
 * recent failures include the start), keeps the newest EVENTS_KEPT of them, sends the module
 * table once a second while any page listens, and relays migration progress. Nothing here
 * touches the invoke path: it reads host.status() on a timer and host events as they come.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Host, HostEvents } from '../../index.js';
import { moduleRows, type ModuleRow } from './moduleRows.js';

export const EVENTS_KEPT = 500;
export const MODULES_INTERVAL_MS = 1000;
/** client:changed events this close together are one entry (a migration announces every batch). */
export const CLIENT_CHANGES_MERGE_MS = 2000;
/** Client ids an entry names at most (the rest are counted). */
const CLIENTS_LISTED = 5;
const KEEPALIVE_MS = 15_000;

/** One host event as the console keeps and sends it (no Error objects: code and reason only). */
export interface ConsoleEvent {
  seq: number;
  at: string;
  type: keyof HostEvents;
  id?: string;
  summary: string;
  data: Record<string, unknown>;
}

const EVENT_TYPES: readonly (keyof HostEvents)[] = [
  'module:discovered',
  'module:activated',
  'module:deactivated',
  'module:failed',
  'module:swapped',
  'swap:failed',
  'catalog:changed',
  'client:changed',
  'rollout:changed',
  'module:diagnostic',
];

function summarize(type: keyof HostEvents, e: Record<string, unknown>): string {
  switch (type) {
    case 'module:discovered':
      return `discovered ${e.id}@${e.version}`;
    case 'module:activated':
      return `activated ${e.id}@${e.version} in ${Math.round(Number(e.durationMs))} ms${e.restart ? ` (restart ${e.restart})` : ''}`;
    case 'module:deactivated':
      return `deactivated ${e.id}@${e.version} (${e.reason})`;
    case 'module:failed':
      return `${e.id}@${e.version} failed: ${e.code} ${e.reason}${e.willRestart ? ' (restarting)' : ''}`;
    case 'module:swapped':
      return `swapped ${e.id} ${e.from} → ${e.to}`;
    case 'swap:failed':
      return `swap of ${e.id} failed, ${e.from} serves on: ${e.code} ${e.reason}`;
    case 'catalog:changed':
      return `catalog generation ${e.generation}: +[${(e.added as string[]).join(', ')}] -[${(e.removed as string[]).join(', ')}] ~[${(e.changed as string[]).join(', ')}]`;
    case 'client:changed': {
      if (e.clients === 'all') return 'clients changed: all';
      const clients = e.clients as string[];
      return `clients changed: ${clients.length > CLIENTS_LISTED ? `${clients.slice(0, CLIENTS_LISTED).join(', ')} and ${clients.length - CLIENTS_LISTED} more` : clients.join(', ')}`;
    }
    case 'rollout:changed':
      return `rollout ${e.rolloutId} of ${e.moduleId}@${e.version}: ${e.state} at ${e.percent} %${e.reason ? ` (${e.reason})` : ''}`;
    case 'module:diagnostic':
      return `${e.id ?? e.dir}: ${e.code} ${e.message}`;
    default: {
      const never: never = type;
      return String(never);
    }
  }
}

/** JSON-safe copy of an event's payload: Error objects and diagnostics lists left out. */
function plain(e: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) if (!(v instanceof Error) && k !== 'diagnostics') out[k] = v;
  return out;
}

export class ConsoleHub {
  readonly #host: Host;
  readonly #events: ConsoleEvent[] = [];
  readonly #streams = new Set<FastifyReply>();
  readonly #off: (() => void)[] = [];
  #seq = 0;
  #ticker: NodeJS.Timeout | undefined;
  #keepalive: NodeJS.Timeout | undefined;

  constructor(host: Host) {
    this.#host = host;
    for (const type of EVENT_TYPES) {
      const listener = (e: Record<string, unknown>) => this.#record(type, e);
      host.on(type, listener as never);
      this.#off.push(() => host.off(type, listener as never));
    }
  }

  #record(type: keyof HostEvents, e: Record<string, unknown>): void {
    const last = this.#events[this.#events.length - 1];
    if (type === 'client:changed' && last?.type === 'client:changed' && Date.now() - Date.parse(last.at) < CLIENT_CHANGES_MERGE_MS) return this.#mergeClients(last, e);
    const event: ConsoleEvent = { seq: ++this.#seq, at: new Date().toISOString(), type, ...(typeof e.id === 'string' ? { id: e.id } : {}), summary: summarize(type, e), data: plain(e) };
    this.#events.push(event);
    if (this.#events.length > EVENTS_KEPT) this.#events.splice(0, this.#events.length - EVENTS_KEPT);
    this.broadcast('host', event);
  }

  /** Folds a client:changed into the entry before it (same seq: pages replace that entry). */
  #mergeClients(last: ConsoleEvent, e: Record<string, unknown>): void {
    const before = last.data.clients;
    const clients = before === 'all' || e.clients === 'all' ? 'all' : [...new Set([...(before as string[]), ...(e.clients as string[])])];
    const merged: ConsoleEvent = { ...last, data: { clients }, summary: summarize('client:changed', { clients }) };
    this.#events[this.#events.length - 1] = merged;
    this.broadcast('host', merged);
  }

  /** The newest events, oldest first; one module's when `moduleId` is given, only these types when `types` is. */
  events(filter: { moduleId?: string; types?: readonly string[] } = {}): ConsoleEvent[] {
    return this.#events.filter((e) => (filter.moduleId === undefined || e.id === filter.moduleId) && (filter.types === undefined || filter.types.includes(e.type)));
  }

  /** Opens a stream on this request: the module table at once, then everything as it happens. */
  open(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    reply.raw.write('retry: 2000\n\n');
    this.#streams.add(reply);
    this.#send(reply, 'modules', moduleRows(this.#host));
    request.raw.on('close', () => {
      this.#streams.delete(reply);
      if (this.#streams.size === 0) this.#stopTimers();
    });
    this.#ticker ??= setInterval(() => this.broadcast('modules', moduleRows(this.#host)), MODULES_INTERVAL_MS);
    this.#keepalive ??= setInterval(() => {
      for (const s of this.#streams) s.raw.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.#ticker.unref();
    this.#keepalive.unref();
  }

  broadcast(event: 'modules' | 'host' | 'migration', data: ModuleRow[] | ConsoleEvent | unknown): void {
    for (const s of this.#streams) this.#send(s, event, data);
  }

  #send(reply: FastifyReply, event: string, data: unknown): void {
    if (reply.raw.writableEnded) return;
    reply.raw.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  #stopTimers(): void {
    clearInterval(this.#ticker);
    clearInterval(this.#keepalive);
    this.#ticker = undefined;
    this.#keepalive = undefined;
  }

  /** Ends every stream (before the server closes, which would otherwise wait for them) and stops listening. */
  close(): void {
    this.#stopTimers();
    for (const s of this.#streams) s.raw.end();
    this.#streams.clear();
    for (const off of this.#off) off();
    this.#off.length = 0;
  }
}

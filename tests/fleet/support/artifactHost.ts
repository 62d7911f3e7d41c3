/**
 * Run in a child process by the fleet tests and bench (tests/fleet/support/hostProcess.ts):
 * one host on the store of HOTMOD_STORE with the fleet option, driven over IPC.
 *
 * Environment: HOTMOD_STORE, MODULES_DIR, HOST_ID, CACHE_DIR, POLL_MS (fallback poll),
 * HEARTBEAT_MS, LISTEN_RECONNECT_MS (when set, the child opens the store itself with that
 * reconnect delay and hands it to the host under the STORE token), ROLLOUTS_POLL_MS (when
 * set, the host also takes part in rollouts: the option `rollouts`, polling that often).
 */
import { createHost, tokens } from '../../../src/index.js';
import { openStore } from '../../../src/legacy-bridge/index.js';

const env = process.env;
const given = env.LISTEN_RECONNECT_MS ? await openStore(env.HOTMOD_STORE!, { listenReconnectMs: Number(env.LISTEN_RECONNECT_MS) }) : undefined;
const host = await createHost({
  modulesDir: env.MODULES_DIR!,
  store: env.HOTMOD_STORE!,
  configFile: false,
  fleet: {
    hostId: env.HOST_ID!,
    cacheDir: env.CACHE_DIR!,
    ...(env.POLL_MS ? { pollMs: Number(env.POLL_MS) } : {}),
    ...(env.HEARTBEAT_MS ? { heartbeatMs: Number(env.HEARTBEAT_MS) } : {}),
  },
  ...(env.ROLLOUTS_POLL_MS ? { rollouts: { pollIntervalMs: Number(env.ROLLOUTS_POLL_MS), reportIntervalMs: 100 } } : {}),
  ...(given ? { register: (c) => c.register(tokens.STORE, { useValue: given }) } : {}),
});
const send = (message: unknown) => process.send?.(message);
host.on('module:swapped', (e) => send({ event: 'swapped', id: e.id, from: e.from, to: e.to }));
host.on('catalog:changed', (e) => send({ event: 'catalog', added: e.added, changed: e.changed }));
host.on('module:diagnostic', (e) => send({ event: 'diagnostic', id: e.id, code: e.code, message: e.message }));
host.on('rollout:changed', (e) => send({ event: 'rollout', id: e.rolloutId, state: e.state, percent: e.percent }));
host.on('swap:failed', (e) => send({ event: 'swap-failed', id: e.id, code: e.code, reason: e.reason }));
await host.start();

interface Request {
  seq: number;
  op: 'invoke' | 'status' | 'fleet' | 'rollouts' | 'explain' | 'stop';
  /** 'rollouts': host.rollouts[method](...args). */
  rolloutMethod?: string;
  args?: unknown[];
  clientId?: string;
  capability?: string;
  method?: string;
  input?: unknown;
}

process.on('message', (raw) => {
  const request = raw as Request;
  const reply = (body: Record<string, unknown>) => send({ reply: request.seq, ...body });
  void (async () => {
    try {
      switch (request.op) {
        case 'invoke':
          return reply({ ok: true, value: await host.client(request.clientId!).invoke(request.capability!, request.method!, request.input) });
        case 'status':
          return reply({ ok: true, value: host.status().map((s) => ({ id: s.id, version: s.version, state: s.state })) });
        case 'fleet':
          return reply({ ok: true, value: await host.fleet() });
        case 'rollouts': {
          const api = host.rollouts as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
          return reply({ ok: true, value: await api[request.rolloutMethod!]!(...(request.args ?? [])) });
        }
        case 'explain':
          return reply({ ok: true, value: await host.explain(request.clientId!, request.capability!) });
        case 'stop':
          await host.stop();
          await given?.close();
          reply({ ok: true });
          return process.exit(0);
      }
    } catch (error) {
      const e = error as { code?: string; message: string };
      reply({ ok: false, code: e.code, message: e.message });
    }
  })();
});
send({ event: 'ready', hostId: env.HOST_ID, pid: process.pid, modules: host.status().map((s) => `${s.id}@${s.version}`) });

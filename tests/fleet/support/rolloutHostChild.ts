/**
 * One application server of the rollout tests, as a real child process: a host on the
 * PostgreSQL given in HOTMOD_ROLLOUT_STORE with rollouts on, driven over IPC by the test.
 *
 *   { id, op: 'invoke', clients }   each client's greeter version, directly and through front
 *   { id, op: 'load', ms, clients, concurrency }   calls greet.api for ms, every outcome counted
 *   { id, op: 'rollouts', method, args }   host.rollouts[method](...args)
 *   { id, op: 'status' }            host.status()
 * It sends { ready } once started, each 'rollout:changed' event, and { id, result | error } per request.
 */
import { createHost } from '../../../src/index.js';

const host = await createHost({
  modulesDir: process.env.HOTMOD_ROLLOUT_MODULES!,
  store: process.env.HOTMOD_ROLLOUT_STORE!,
  configFile: false,
  watch: true,
  logger: 'info',
  // HOTMOD_ROLLOUT_POLL_MS large: changes can only arrive by NOTIFY (the test of that path).
  rollouts: { hostId: process.env.HOTMOD_ROLLOUT_HOST!, pollIntervalMs: Number(process.env.HOTMOD_ROLLOUT_POLL_MS ?? 100), reportIntervalMs: 100 },
});
host.on('rollout:changed', (e) => process.send!({ event: 'rollout:changed', ...e }));
await host.start();

type Request =
  | { id: number; op: 'invoke'; clients: string[] }
  | { id: number; op: 'load'; ms: number; clients: string[]; concurrency: number }
  | { id: number; op: 'rollouts'; method: keyof typeof host.rollouts; args: unknown[] }
  | { id: number; op: 'status' };

async function versions(clients: string[]) {
  const out: Record<string, { direct: string; viaFront: string }> = {};
  for (const c of clients) {
    const direct = (await host.client(c).invoke('greet.api', 'hello', {})) as { version: string };
    const page = (await host.client(c).invoke('front.api', 'page', {})) as { greeter: string };
    out[c] = { direct: direct.version, viaFront: page.greeter };
  }
  return out;
}

async function load(ms: number, clients: string[], concurrency: number) {
  const outcomes = { ok: {} as Record<string, number>, failed: [] as { code: string; message: string }[] };
  const end = Date.now() + ms;
  let i = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const client = clients[i++ % clients.length]!;
        try {
          const r = (await host.client(client).invoke('greet.api', 'hello', {})) as { version: string };
          outcomes.ok[r.version] = (outcomes.ok[r.version] ?? 0) + 1;
        } catch (error) {
          const e = error as { code?: string; message: string };
          outcomes.failed.push({ code: e.code ?? '?', message: e.message });
        }
        await new Promise((r) => setImmediate(r));
      }
    }),
  );
  return outcomes;
}

process.on('message', (m: Request) => {
  void (async () => {
    try {
      let result: unknown;
      if (m.op === 'invoke') result = await versions(m.clients);
      else if (m.op === 'load') result = await load(m.ms, m.clients, m.concurrency);
      else if (m.op === 'rollouts') result = await (host.rollouts[m.method] as (...a: unknown[]) => Promise<unknown>)(...m.args);
      else result = host.status().map((s) => ({ id: s.id, version: s.version, state: s.state }));
      process.send!({ id: m.id, result });
    } catch (error) {
      const e = error as { code?: string; message: string };
      process.send!({ id: m.id, error: { code: e.code, message: e.message } });
    }
  })();
});
process.on('SIGTERM', () => void host.stop().then(() => process.exit(0)));
process.send!({ ready: true });

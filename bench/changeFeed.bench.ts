/**
 * The change feed on the real PostgreSQL server: a direct SQL UPDATE of a client's legacy
 * row (client_app_overrides.modules_enabled, on a plain connection, as the legacy
 * application writes it) until the router's client-set cache is invalidated on the hosts
 * (two hosts in this process, each on its own store and LISTEN connection; the moment is
 * the host's `client:changed` event, emitted right after Router.invalidate). After each
 * sample both hosts call the client once (the cache reloads and the change is checked:
 * analytics is enabled exactly when the row says so).
 *
 * Baseline, interleaved with it (harness `interleave`): a bare LISTEN/NOTIFY round trip
 * between two plain pg connections. Also shown: when a bare listener on the trigger's
 * channel heard the same UPDATE (what the trigger + NOTIFY cost before hotmod's part).
 * Figures: changeFeedP50 (ms, to the later of the two hosts), changeFeedVsNotify (x).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { initLegacySchema, openStore } from '../src/legacy-bridge/index.js';
import { CLIENT_CHANGES_CHANNEL } from '../src/legacy-bridge/store/migrations.js';
import { createHost, type Host } from '../src/runtime/index.js';
import { formatSpread, interleave, percentile, round, spreadOf, type Benchmark, type BenchReport } from './harness.js';
import { freshDatabase, pgUnreachable } from './pgDatabase.js';

const MODULES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../tests/fixtures/migration/modules');
const CLIENT = '0d7c9f3e-1a2b-4c5d-8e6f-00000000c0de';
const LISTS = ['["accounts"]', '["accounts", "analytics"]'] as const;
const WAIT_MS = 5000;

/** Resolves when `host` reports a change of CLIENT (or of all clients). */
function nextChange(host: Host): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      host.off('client:changed', listener);
      reject(new Error(`changeFeed bench: no client:changed within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = (e: { clients: readonly string[] | 'all' }) => {
      if (e.clients !== 'all' && !e.clients.includes(CLIENT)) return;
      clearTimeout(timer);
      host.off('client:changed', listener);
      resolve(performance.now());
    };
    host.on('client:changed', listener);
  });
}

function nextNotification(client: pg.Client, channel: string, payload: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('notification', listener);
      reject(new Error(`changeFeed bench: no NOTIFY on ${channel} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    const listener = (n: pg.Notification) => {
      if (n.channel !== channel || n.payload !== payload) return;
      clearTimeout(timer);
      client.off('notification', listener);
      resolve(performance.now());
    };
    client.on('notification', listener);
  });
}

/** The call that reloads the client's set on `host`; checks the change arrived. */
async function checkServes(host: Host, analyticsEnabled: boolean): Promise<void> {
  const got = await host
    .client(CLIENT)
    .invoke('analytics.track', 'summary', undefined, { timeoutMs: 5000 })
    .then(
      () => true,
      (error: { code?: string }) => {
        if (error.code === 'E_NOT_ENABLED') return false;
        throw error;
      },
    );
  if (got !== analyticsEnabled) throw new Error(`changeFeed bench: analytics ${got ? 'served' : 'refused'} after the update set it ${analyticsEnabled ? 'on' : 'off'}`);
}

const bench: Benchmark = {
  name: 'changeFeed',
  description: 'direct SQL UPDATE of a legacy row → router cache invalidated on two hosts, vs a bare LISTEN/NOTIFY round trip (PostgreSQL)',
  async run(ctx): Promise<BenchReport[]> {
    const rounds = ctx.quick ? 20 : 100;
    const unreachable = await pgUnreachable();
    if (unreachable) return [{ title: 'Change feed (PostgreSQL)', rows: [], notes: [`SKIPPED: ${unreachable}`] }];
    const db = await freshDatabase();
    const hosts: Host[] = [];
    const plain: pg.Client[] = [];
    try {
      const setup = await openStore(db.url);
      await initLegacySchema(setup);
      await setup.query(`INSERT INTO clients (id, name) VALUES ($1, 'change feed bench')`, [CLIENT]);
      await setup.query(`INSERT INTO client_app_overrides (client_id, modules_enabled) VALUES ($1, $2::jsonb)`, [CLIENT, LISTS[0]]);
      await setup.close();

      for (let i = 0; i < 2; i++) {
        const host = await createHost({ modulesDir: MODULES, store: db.url, configFile: false, watch: false });
        await host.start();
        hosts.push(host);
        await checkServes(host, false);
      }
      const connect = async () => {
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        plain.push(c);
        return c;
      };
      const writer = await connect();
      const triggerListener = await connect();
      await triggerListener.query(`LISTEN ${CLIENT_CHANGES_CHANNEL}`);
      const notifier = await connect();
      const listener = await connect();
      await listener.query('LISTEN hotmod_bench_ping');

      const perHost: number[][] = [[], []];
      const trigger: number[] = [];
      const all: number[] = [];
      const notify: number[] = [];
      let updates = 0;
      let pings = 0;
      const feed = async (): Promise<number> => {
        const list = updates++ % 2 === 0 ? LISTS[1] : LISTS[0];
        const waits = [...hosts.map(nextChange), nextNotification(triggerListener, CLIENT_CHANGES_CHANNEL, CLIENT)];
        const t0 = performance.now();
        await writer.query('UPDATE client_app_overrides SET modules_enabled = $2::jsonb WHERE client_id = $1', [CLIENT, list]);
        const [a, b, heard] = await Promise.all(waits);
        const both = Math.max(a!, b!) - t0;
        perHost[0]!.push(a! - t0);
        perHost[1]!.push(b! - t0);
        trigger.push(heard! - t0);
        all.push(both);
        for (const host of hosts) await checkServes(host, list === LISTS[1]);
        return both;
      };
      const ping = async (): Promise<number> => {
        const payload = String(pings++);
        const heard = nextNotification(listener, 'hotmod_bench_ping', payload);
        const t0 = performance.now();
        await notifier.query('SELECT pg_notify($1, $2)', ['hotmod_bench_ping', payload]);
        const ms = (await heard) - t0;
        notify.push(ms);
        return ms;
      };
      ctx.log(`${rounds} interleaved rounds: UPDATE → both hosts invalidated, vs bare NOTIFY round trip`);
      const ab = await interleave({ a: feed, b: ping, rounds, warmup: 2 });
      // The warm-up samples are in the arrays too: keep the measured rounds only.
      const measured = (xs: number[]) => xs.slice(xs.length - rounds);
      const row = (what: string, xs: number[]) => {
        const s = [...measured(xs)].sort((x, y) => x - y);
        const p50 = spreadOf(s).median;
        return { path: what, 'p50 ms': round(p50, 2), 'p90 ms': round(percentile(s, 90), 2), 'max ms': round(s[s.length - 1]!, 2), 'x bare NOTIFY (p50)': round(p50 / ab.b.median, 2) };
      };
      const maxAll = Math.max(...measured(all));
      return [
        {
          title: `Change feed: direct SQL UPDATE → router cache invalidated (PostgreSQL, ${rounds} interleaved rounds)`,
          rows: [
            row('baseline: bare LISTEN/NOTIFY round trip', notify),
            row('UPDATE → trigger NOTIFY at a bare listener', trigger),
            row('UPDATE → host 1 invalidated', perHost[0]!),
            row('UPDATE → host 2 invalidated', perHost[1]!),
            row('UPDATE → both hosts invalidated', all),
          ],
          notes: [
            `ratio (median of per-round feed / NOTIFY): ${formatSpread(ab.ratio, 2)}`,
            'each host listens on its own connection; after every sample both hosts call the client (cache reload) and the change is checked.',
          ],
          figures: [
            { target: 'changeFeedP50', value: ab.a.median, baseline: `to both of 2 hosts, max ${round(maxAll, 2)} ms, p25–p75 ${round(ab.a.p25, 2)}–${round(ab.a.p75, 2)}; ${rounds} rounds` },
            { target: 'changeFeedVsNotify', value: ab.ratio.median, baseline: `bare LISTEN/NOTIFY round trip ${formatSpread(spreadOf(measured(notify)), 2)} ms, interleaved; ratio p25–p75 ${round(ab.ratio.p25, 2)}–${round(ab.ratio.p75, 2)}` },
          ],
        },
      ];
    } finally {
      await Promise.allSettled(hosts.map((h) => h.stop()));
      await Promise.allSettled(plain.map((c) => c.end()));
      await db.drop();
    }
  },
};

export default bench;

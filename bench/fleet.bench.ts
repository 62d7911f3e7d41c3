/**
 * Publish → serving on every host (issue 12): two host processes on one PostgreSQL with
 * the fleet option; each round publishes a new version of one module (publishArtifact,
 * the store write `hotmod publish` ends with) and waits until both hosts report the swap
 * to it (module:swapped, over IPC). The baseline, in the same run: a bare NOTIFY round
 * trip (pg_notify on one connection, heard on the LISTEN connection of the same store),
 * the floor under anything that rides NOTIFY.
 *
 * PostgreSQL: HOTMOD_BENCH_PG_URL or HOTMOD_TEST_PG_URL (a fresh database per run).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { publishArtifact, type ArtifactInput } from '../src/fleet/index.js';
import { initLegacySchema, openStore, type Store } from '../src/legacy-bridge/index.js';
import { startHostProcess, type HostEvent, type HostProcess } from '../tests/fleet/support/hostProcess.js';
import { percentile, round, type Benchmark, type BenchReport } from './harness.js';
import { freshDatabase, PG_URL } from './pgDatabase.js';

const HOSTS = 2;

function artifact(version: string): ArtifactInput {
  const packageJson = JSON.stringify({
    name: '@bench/greeter',
    version,
    type: 'module',
    main: 'dist/index.js',
    hotmod: { id: 'greeter', provides: { 'greeter.api': '1.0.0' }, activation: 'eager', defaultEnabled: true },
  });
  const bundle = Buffer.from(`export async function activate() {\n  return { 'greeter.api': { version() { return ${JSON.stringify(version)}; } } };\n}\n`);
  return { packageJson, bundle, publishedBy: 'bench' };
}

/** Resolves when `host` reports the swap of greeter to `version` (or has reported it already). */
function swappedTo(host: HostProcess, version: string): Promise<void> {
  const hit = (m: HostEvent) => m.event === 'swapped' && m.to === version;
  if (host.events.some(hit)) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (raw: unknown) => {
      if (!hit(raw as HostEvent)) return;
      host.child.off('message', on);
      resolve();
    };
    host.child.on('message', on);
  });
}

async function notifyRoundTrips(store: Store, n: number): Promise<number[]> {
  let wake: (() => void) | undefined;
  const unlisten = await store.listen('hotmod_bench_ping', () => wake?.());
  const out: number[] = [];
  try {
    for (let i = 0; i < n + 3; i++) {
      const heard = new Promise<void>((resolve) => (wake = resolve));
      const t0 = performance.now();
      await store.notify('hotmod_bench_ping', String(i));
      await heard;
      if (i >= 3) out.push(performance.now() - t0); // the first three warm the connections
    }
  } finally {
    await unlisten();
  }
  return out.sort((a, b) => a - b);
}

const bench: Benchmark = {
  name: 'fleet',
  description: 'publish → serving on every host of a fleet (2 processes, one PostgreSQL) vs a bare NOTIFY round trip',
  async run(ctx) {
    const publishes = ctx.quick ? 5 : 20;
    let db: Awaited<ReturnType<typeof freshDatabase>>;
    try {
      db = await freshDatabase();
    } catch (error) {
      return [{ title: 'fleet: publish → serving', rows: [], notes: [`PostgreSQL SKIPPED: ${PG_URL.replace(/:[^:@/]*@/, ':***@')} not reachable (${(error as Error).message}); set HOTMOD_BENCH_PG_URL`] }];
    }
    const root = await mkdtemp(path.join(tmpdir(), 'hotmod-bench-fleet-'));
    const store = await openStore(db.url);
    const hosts: HostProcess[] = [];
    try {
      await initLegacySchema(store);
      await publishArtifact(store, artifact('1.0.0'));
      ctx.log(`starting ${HOSTS} host processes…`);
      for (let i = 0; i < HOSTS; i++) {
        const modulesDir = path.join(root, `modules-${i}`);
        await mkdir(modulesDir, { recursive: true });
        // The poll is off in practice (60 s): every round rides NOTIFY.
        hosts.push(await startHostProcess({ HOTMOD_STORE: db.url, MODULES_DIR: modulesDir, HOST_ID: `bench-${i}`, CACHE_DIR: path.join(root, `cache-${i}`), POLL_MS: '60000' }));
      }
      const serving: number[] = [];
      const commits: number[] = [];
      for (let i = 1; i <= publishes; i++) {
        const version = `1.0.${i}`;
        const input = artifact(version);
        const all = Promise.all(hosts.map((h) => swappedTo(h, version)));
        const t0 = performance.now();
        await publishArtifact(store, input);
        commits.push(performance.now() - t0);
        await all;
        serving.push(performance.now() - t0);
        ctx.log(`publish ${i}/${publishes}: serving on all hosts after ${round(serving.at(-1)!)} ms`);
      }
      // Every host answers with the last version (the swaps were real).
      const last = `1.0.${publishes}`;
      const answers = await Promise.all(hosts.map((h) => h.invoke('bench', 'greeter.api', 'version')));
      if (answers.some((a) => a !== last)) throw new Error(`hosts answer ${answers.join(', ')}, expected ${last}`);
      const notify = await notifyRoundTrips(store, publishes);
      serving.sort((a, b) => a - b);
      commits.sort((a, b) => a - b);
      const servingP50 = percentile(serving, 50);
      const notifyP50 = percentile(notify, 50);
      const report: BenchReport = {
        title: `fleet: publish → serving on ${HOSTS} hosts (${publishes} publishes)`,
        rows: [
          { what: 'publish → serving on all hosts', p50: round(servingP50), max: round(serving.at(-1)!), unit: 'ms' },
          { what: 'publish transaction (commit + NOTIFY)', p50: round(percentile(commits, 50)), max: round(commits.at(-1)!), unit: 'ms' },
          { what: 'bare NOTIFY round trip (baseline)', p50: round(notifyP50, 3), max: round(notify.at(-1)!, 3), unit: 'ms' },
        ],
        notes: [
          'serving = the new version installed by a hot swap on every host (module:swapped), measured from the start of the publish transaction',
          `publish → serving p50 / NOTIFY p50: ${round(servingP50 / notifyP50, 1)}x (the rest: catch-up read, cache write, package load, isolate create + activate, swap)`,
        ],
        figures: [
          { target: 'publishToServingP50', value: round(servingP50), baseline: `max ${round(serving.at(-1)!)} ms over ${publishes} publishes, ${HOSTS} host processes` },
          { target: 'publishVsNotify', value: round(servingP50 / notifyP50, 1), baseline: `bare NOTIFY round trip p50 ${round(notifyP50, 3)} ms, same run` },
        ],
      };
      return [report];
    } finally {
      await Promise.allSettled(hosts.map((h) => h.stop()));
      await Promise.allSettled(hosts.map((h) => h.kill()));
      await store.close();
      await db.drop();
      await rm(root, { recursive: true, force: true });
    }
  },
};

export default bench;

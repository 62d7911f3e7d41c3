/**
 * The example application server: Fastify + the hotmod plugin, on the embedded store
 * (PGlite at .hotmod/db) with demo clients and the demo modules in modules/.
 *
 *   npm start                     # this file
 *   npm run dev                   # the same with hot reload (--watch)
 *
 * Environment: PORT (default 3000; 0 picks a free port), HOST (default 127.0.0.1),
 * HOTMOD_MODULES_DIR (default modules/), HOTMOD_STORE (default pglite://.hotmod/db;
 * 'memory' or postgres://… work too),
 * HOTMOD_WATCH=1 (same as --watch), HOTMOD_FLEET=1 (serve what `hotmod publish` put in the
 * store and heartbeat into `hotmod fleet`; docs/fleet.md), HOTMOD_HOST_ID (the fleet's name
 * for this server, default hostname:pid; heartbeats and rollout health rows use it),
 * HOTMOD_ROLLOUTS=1 (take part in `hotmod rollout`: a staged version goes to the clients
 * its rollout picks; docs/fleet.md "Publish once, then roll out"), LOG_LEVEL (Fastify's pino level, default warn),
 * HOTMOD_CONSOLE_TOKEN (16+ characters: serves the operator's console at /console behind
 * that bearer token; without it there is no console, docs/console.md).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { createHost } from 'hotmod';
import hotmodPlugin from 'hotmod/fastify';
import { prepareDemoStore, pickDemoCall } from './demo.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const port = Number(process.env.PORT ?? 3000);
const listenHost = process.env.HOST ?? '127.0.0.1';
// Relative paths in the environment are relative to the working directory, as a user expects.
const modulesDir = process.env.HOTMOD_MODULES_DIR ? path.resolve(process.env.HOTMOD_MODULES_DIR) : path.join(root, 'modules');
const store = process.env.HOTMOD_STORE ?? `pglite://${path.join(root, '.hotmod/db')}`;
const watch = process.argv.includes('--watch') || process.env.HOTMOD_WATCH === '1';
const fleet = process.env.HOTMOD_FLEET === '1' ? (process.env.HOTMOD_HOST_ID ? { hostId: process.env.HOTMOD_HOST_ID } : true) : false;
// One host id for both: fleet.hostId names the host in the rollouts' health rows too.
const rollouts = process.env.HOTMOD_ROLLOUTS === '1' ? (process.env.HOTMOD_HOST_ID && !fleet ? { hostId: process.env.HOTMOD_HOST_ID } : true) : false;

// The host's own log (pino JSON) only for warnings; what happens is printed below as lines.
const hostLogLevel = (process.env.HOTMOD_LOG_LEVEL ?? 'warn') as 'warn';
const host = await createHost({ modulesDir, store, watch, fleet, rollouts, logger: hostLogLevel });
// pluginTimeout: the host opens its store and activates modules while the plugin registers,
// which can take longer than Fastify's default 10 s on a busy machine.
const app = Fastify({ logger: { level: process.env.LOG_LEVEL ?? 'warn' }, pluginTimeout: 120_000 });

// Stop cleanly, also during startup: close Fastify (in-flight requests finish), which stops
// the host (drain, deactivate, close the store). A second signal, or a stop that hangs, exits.
let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  if (stopping) {
    console.error(`${signal} again: exiting without waiting`);
    process.exit(1);
  }
  stopping = true;
  const force = setTimeout(() => {
    console.error('stop took longer than 15 s: exiting');
    process.exit(1);
  }, 15_000);
  force.unref();
  try {
    await app.close();
    console.log('stopped');
    process.exitCode = 0;
  } catch (error) {
    console.error('stop failed:', error);
    process.exitCode = 1;
  } finally {
    clearTimeout(force);
  }
  // isolated-vm handles can keep the loop alive after everything is closed.
  process.exit();
}
process.on('SIGINT', (s) => void shutdown(s));
process.on('SIGTERM', (s) => void shutdown(s));

const consoleToken = process.env.HOTMOD_CONSOLE_TOKEN;
await app.register(hotmodPlugin, { host, routes: true, ...(consoleToken ? { console: { bearerToken: consoleToken } } : {}) });
await app.ready(); // starts the host (the plugin does)
// The legacy tables and demo clients, created on first run (what `hotmod db init --demo` does).
const demo = await prepareDemoStore(host);

const url = await app.listen({ port, host: listenHost });
const modules = host.status();
const active = modules.filter((m) => m.state === 'active').length;
console.log(`hotmod app server listening on ${url} (${active}/${modules.length} modules active, store ${store}${watch ? ', hot reload on' : ''}${fleet ? ', in the fleet' : ''}${rollouts ? ', rollouts on' : ''}, up in ${Math.round(performance.now())} ms)`);
for (const m of modules) if (m.state === 'failed' || m.state === 'unresolved') console.log(`  ${m.id}@${m.version} is ${m.state}: ${m.reason ?? 'no reason given'}`);
const call = await pickDemoCall(host, demo.clientIds);
if (call) {
  console.log(`try:  curl -s -X POST ${url}/clients/${call.clientId}/invoke/${call.capability}/${call.method} -H 'content-type: application/json' -d '${JSON.stringify(call.input)}'`);
}
// What hot reload does, as it happens (registered after start: the startup itself was summed up above).
const at = () => new Date().toISOString().slice(11, 19);
host.on('module:activated', (e) => console.log(`${at()} activated ${e.id}@${e.version}${e.restart ? ` (restart ${e.restart})` : ''}`));
host.on('module:swapped', (e) => console.log(`${at()} swapped ${e.id} ${e.from} -> ${e.to} (${e.stateful ? 'stateful, ' : ''}${Math.round(e.durationMs)} ms, ${e.heldCalls} calls held)`));
host.on('rollout:changed', (e) => console.log(`${at()} rollout ${e.rolloutId} of ${e.moduleId}@${e.version}: ${e.state}${e.stage ? ` stage ${e.stage}` : ''} (${e.percent}%)${e.reason ? `: ${e.reason}` : ''}`));
host.on('swap:failed', (e) => console.log(`${at()} swap of ${e.id} failed, ${e.from} serves on: ${e.reason}`));
host.on('module:failed', (e) => console.log(`${at()} module ${e.id}@${e.version} failed: ${e.reason}${e.willRestart ? ' (restarting)' : ''}`));
host.on('module:diagnostic', (e) => {
  const details = e.diagnostics.map((d) => `\n    ${d.jsonPath}: ${d.message} (${d.fix})`).join('');
  console.log(`${at()} ${e.id ?? e.dir} not swapped, the running version serves on: ${e.code} ${e.message}${details}`);
});
host.on('catalog:changed', (e) => {
  if (e.added.length > 0) console.log(`${at()} added ${e.added.join(', ')}`);
  if (e.removed.length > 0) console.log(`${at()} removed ${e.removed.join(', ')}`);
});
if (consoleToken) console.log(`console: ${url}/console (sign in with HOTMOD_CONSOLE_TOKEN)`);
console.log(`      curl -s ${url}/health    ·    curl -s ${url}/clients/${demo.clientIds[0] ?? 'CLIENT_ID'}/modules    ·    Ctrl-C stops`);

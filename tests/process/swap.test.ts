/**
 * `isolation: 'process'` under the real runtime: zero-downtime swaps under load, state
 * handoff across the process boundary, a crashed child restarting its module, and stop().
 * The fixture's svc and counter declare `hotmod.isolation: "process"`; consumer stays
 * in-process, so calls also cross between the two isolation levels.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHost, type Host } from '../../src/runtime/index.js';
import { createProcessSandboxFactory, type ProcessSandboxFactory } from '../../src/sandbox/process/index.js';
import { loadLoop } from '../support/loadLoop.js';
import { fixtures, isAlive, until } from './support.js';

const hosts: Host[] = [];
const factories: ProcessSandboxFactory[] = [];
const temps: string[] = [];
const seenPids = new Set<number>();

afterEach(async () => {
  await Promise.allSettled(hosts.splice(0).map((h) => h.stop()));
  await Promise.allSettled(factories.splice(0).map((f) => f.close()));
  await Promise.allSettled(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  for (const pid of seenPids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  seenPids.clear();
});

async function startHost(maxRestarts = 3): Promise<{ host: Host; factory: ProcessSandboxFactory; modulesDir: string }> {
  const root = await mkdtemp(path.join(tmpdir(), 'hotmod-process-swap-'));
  temps.push(root);
  const modulesDir = path.join(root, 'modules');
  await cp(path.join(fixtures, 'swap'), modulesDir, { recursive: true });
  const factory = createProcessSandboxFactory({ poolSize: 2 });
  factories.push(factory);
  const host = await createHost({
    modulesDir,
    configFile: false,
    store: 'none',
    restart: { baseDelayMs: 50, maxRestarts },
    overrides: { processSandboxFactory: factory },
  });
  hosts.push(host);
  await host.start();
  for (const p of factory.processes()) if (p.pid !== undefined) seenPids.add(p.pid);
  return { host, factory, modulesDir };
}

async function rewrite(dir: string, version: string, code?: string): Promise<void> {
  const file = path.join(dir, 'package.json');
  const json = JSON.parse(await readFile(file, 'utf8')) as { version: string };
  json.version = version;
  await writeFile(file, JSON.stringify(json, null, 2));
  if (code !== undefined) await writeFile(path.join(dir, 'dist', 'index.js'), code);
}

const svcCode = (tag: string) => `
export async function activate(ctx) {
  return { 'svc.api': { async get(input) {
    if (input && input.delayMs) await new Promise((r) => setTimeout(r, input.delayMs));
    return { version: ctx.module.version, tag: '${tag}', n: input && input.n };
  } } };
}
`;

describe("isolation: 'process' under the runtime", () => {
  it('runs process modules next to in-process ones, with calls crossing both ways', async () => {
    const { host, factory } = await startHost();
    const client = host.client('acme');
    expect(await client.invoke('svc.api', 'get', { n: 1 })).toEqual({ version: '1.0.0', n: 1 });
    expect(await client.invoke('consumer.api', 'relay', { n: 2 })).toEqual({ version: '1.0.0', n: 2 });
    expect(await client.invoke('counter.api', 'inc', {})).toEqual({ count: 1, version: '1.0.0' });
    // svc and counter live in child processes (their manifests say hotmod.isolation: "process");
    // the consumer does not (the host default, 'isolate').
    expect(Object.fromEntries(host.status().map((s) => [s.id, s.isolation]))).toEqual({ consumer: 'isolate', counter: 'process', svc: 'process' });
    expect(factory.processes().reduce((sum, p) => sum + p.sandboxes, 0)).toBe(2);
  });

  it('fails no call during swaps under continuous load, and hands the counter state across the boundary', async () => {
    const { host, modulesDir } = await startHost();
    const client = host.client('acme');
    const direct = loadLoop((n) => client.invoke('svc.api', 'get', { n, delayMs: n % 3 }), 3, { callsPerYield: Infinity });
    const relayed = loadLoop((n) => client.invoke('consumer.api', 'relay', { n }), 2, { callsPerYield: Infinity });
    const stateful = loadLoop(() => client.invoke('counter.api', 'inc', {}), 2, { callsPerYield: Infinity });
    for (let i = 1; i <= 8; i++) {
      const version = `1.${i}.0`;
      await rewrite(path.join(modulesDir, 'svc'), version, svcCode(`v${i}`));
      await rewrite(path.join(modulesDir, 'counter'), version);
      await Promise.all([host.swap('svc'), host.swap('counter')]);
    }
    const [d, r, s] = await Promise.all([direct.stop(), relayed.stop(), stateful.stop()]);
    expect([...d.errors, ...r.errors, ...s.errors]).toEqual([]);
    expect(d.failed + r.failed + s.failed).toBe(0);
    expect(d.ok).toBeGreaterThan(8);
    expect(s.ok).toBeGreaterThan(8);
    // No increment was lost across 8 handoffs through deactivate -> IPC -> activate.
    expect(await client.invoke('counter.api', 'get', {})).toEqual({ count: s.ok, version: '1.8.0' });
    expect(await client.invoke('svc.api', 'get', { n: 1 })).toEqual({ version: '1.8.0', tag: 'v8', n: 1 });
  });

  it('restarts a module whose child process was killed; later calls reach the new child', async () => {
    const { host, factory } = await startHost();
    const client = host.client('acme');
    await client.invoke('counter.api', 'inc', {});
    const failed: { id: string; code: string; reason: string; willRestart: boolean }[] = [];
    host.on('module:failed', (e) => failed.push({ id: e.id, code: e.code, reason: e.reason, willRestart: e.willRestart }));
    const victims = factory.processes().filter((p) => p.sandboxes > 0);
    for (const p of victims) process.kill(p.pid!, 'SIGKILL');
    await until(() => failed.length >= 2, 'both process modules to fail');
    expect(failed.map((f) => f.id).sort()).toEqual(['counter', 'svc']);
    expect(failed[0]).toMatchObject({ code: 'E_SANDBOX_CRASHED', willRestart: true, reason: expect.stringContaining('killed by SIGKILL') });
    await until(() => host.status().every((s) => s.state === 'active'), 'the modules to be restarted');
    expect(await client.invoke('svc.api', 'get', { n: 5 })).toEqual({ version: '1.0.0', n: 5 });
    // A crash loses in-memory state (no deactivate ran): the counter starts over.
    expect(await client.invoke('counter.api', 'inc', {})).toEqual({ count: 1, version: '1.0.0' });
    const newPids = factory.processes().map((p) => p.pid);
    for (const p of victims) expect(newPids).not.toContain(p.pid);
  });

  it('quarantines a module whose child keeps crashing once the crash budget is spent', async () => {
    const { host, factory } = await startHost(2);
    const client = host.client('acme');
    const failed: { id: string; willRestart: boolean; quarantined: boolean }[] = [];
    host.on('module:failed', (e) => failed.push({ id: e.id, willRestart: e.willRestart, quarantined: e.quarantined }));
    const svcFailures = () => failed.filter((f) => f.id === 'svc');
    const svcState = () => host.status().find((s) => s.id === 'svc')!.state;
    for (let crash = 1; crash <= 3; crash++) {
      await until(() => svcState() === 'active', `svc to be active before crash ${crash}`).catch((error: Error) => {
        throw new Error(`${error.message}; status: ${JSON.stringify(host.status().map(({ metrics: _m, ...s }) => s))}`);
      });
      await client.invoke('svc.api', 'get', { n: crash });
      for (const p of factory.processes()) if (p.sandboxes > 0) process.kill(p.pid!, 'SIGKILL');
      await until(() => svcFailures().length === crash, `crash ${crash} to be reported`);
    }
    expect(svcFailures().map((f) => f.willRestart)).toEqual([true, true, false]);
    expect(svcFailures().map((f) => f.quarantined)).toEqual([false, false, true]);
    expect(svcState()).toBe('failed');
    // The status says it: failed, with the last crash's code and reason, 2 restarts used and none scheduled.
    const status = host.status().find((s) => s.id === 'svc')!;
    expect(status).toMatchObject({ state: 'failed', quarantined: true, code: 'E_SANDBOX_CRASHED', restarts: 2, reason: expect.stringContaining('killed by SIGKILL') });
    expect(status.reason).toMatch(/^quarantined: crashed 3 times within 300 s, which spends the crash budget, so it is not restarted/);
    expect(status.nextRestartAt).toBeUndefined();
    await expect(client.invoke('svc.api', 'get', { n: 9 })).rejects.toMatchObject({
      code: 'E_MODULE_FAILED',
      details: { moduleId: 'svc', causeCode: 'E_SANDBOX_CRASHED' },
    });
    // It stays quarantined: no restart comes later.
    await new Promise((r) => setTimeout(r, 500));
    expect(svcState()).toBe('failed');
    expect(svcFailures()).toHaveLength(3);
  });

  it('serves the calls a stateful swap holds from the resumed old version when the old child crashes mid-swap', async () => {
    const { host, factory, modulesDir } = await startHost();
    const client = host.client('acme');
    expect(await client.invoke('counter.api', 'inc', {})).toEqual({ count: 1, version: '1.0.0' });
    const failed: string[] = [];
    host.on('module:failed', (e) => failed.push(e.id));
    await rewrite(path.join(modulesDir, 'counter'), '1.1.0');
    // A call in flight keeps the swap draining while we crash the old instance's child.
    const inFlight = client.invoke('counter.api', 'inc', { delayMs: 1500 }).then(
      () => 'served',
      (e: { code?: string }) => e.code,
    );
    const swapping = host.swap('counter').then(
      () => 'swapped',
      (e: { code?: string; message: string }) => `${e.code}: ${e.message}`,
    );
    const counterStatus = () => host.status().find((s) => s.id === 'counter')!;
    await until(() => counterStatus().holdingCalls, 'the swap to hold calls');
    const held = client.invoke('counter.api', 'get', {});
    for (const p of factory.processes().filter((c) => c.sandboxes > 0)) process.kill(p.pid!, 'SIGKILL');
    // The crash cuts the call in flight (nothing can save it), fails the swap, and the old
    // version resumes in a fresh child without state: the held call is served by it, not failed.
    expect(await swapping).toMatch(/^E_SWAP_FAILED: swap of module 'counter' from 1.0.0 to 1.1.0 failed/);
    expect(await inFlight).toBe('E_SANDBOX_CRASHED');
    expect(await held).toEqual({ count: 0, version: '1.0.0' });
    expect(counterStatus()).toMatchObject({ state: 'active', version: '1.0.0', holdingCalls: false });
    // The resumed instance replaced the restart the crash scheduled (baseDelayMs 50): no restart follows.
    await new Promise((r) => setTimeout(r, 300));
    expect(counterStatus()).toMatchObject({ state: 'active', restarts: 0 });
    expect(await client.invoke('counter.api', 'inc', {})).toEqual({ count: 1, version: '1.0.0' });
    // Each child's crash failed its modules once; the swap's own resume is not a second failure.
    expect(failed.sort()).toEqual(['counter', 'svc']);
  });

  it('stop() ends every child process', async () => {
    const { host, factory } = await startHost();
    await host.client('acme').invoke('svc.api', 'get', { n: 1 });
    const pids = factory.processes().map((p) => p.pid!);
    expect(pids.length).toBeGreaterThan(0);
    await host.stop();
    expect(factory.processes()).toEqual([]);
    await until(() => pids.every((pid) => !isAlive(pid)), 'the children to exit');
  });
});

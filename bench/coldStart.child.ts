/**
 * One start of a host over a catalog, in a process of its own (bench/coldStart.bench.ts
 * spawns it): `node --no-node-snapshot --import tsx bench/coldStart.child.ts DIR MODE`.
 * Prints one JSON line: the start's wall time (createHost + start, to `running`), how many
 * modules are active, and for MODE 'lazy' the client's first call (which loads its module
 * set), then the first and the warm calls of a module without dependencies and of a chain's
 * last module. Then stops the host (which waits for the code
 * cache's writes) and exits.
 */
import { performance } from 'node:perf_hooks';
import { createHost } from '../src/runtime/index.js';

const [dir, mode] = process.argv.slice(2) as [string, 'eager' | 'lazy'];
const cpu0 = process.cpuUsage();
const main0 = process.threadCpuUsage();
const t0 = performance.now();
const host = await createHost({ modulesDir: dir, store: 'none', configFile: false });
await host.start();
const startMs = performance.now() - t0;
// CPU time of the start: the whole process (every thread: isolated-vm's compiles) and the host thread alone.
const cpu = process.cpuUsage(cpu0);
const main = process.threadCpuUsage(main0);
const statuses = host.status();
const out: Record<string, number | string> = { startMs, cpuMs: (cpu.user + cpu.system) / 1000, mainCpuMs: (main.user + main.system) / 1000, modules: statuses.length, active: statuses.filter((s) => s.state === 'active').length };

if (mode === 'lazy') {
  const client = host.client('client-1');
  const timeCall = async (capability: string): Promise<number> => {
    const t = performance.now();
    await client.invoke(capability, 'get', { n: 1 });
    return performance.now() - t;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // The client's first call also loads its module set (all 500 enabled): made on another
  // module first, so that the figures below are a module's activation on its first call.
  out.clientFirstCallMs = await timeCall('m0401.api');
  for (const [name, capability] of [['leaf', 'm0000.api'], ['chainEnd', 'm0019.api']] as const) {
    out[`${name}FirstMs`] = await timeCall(capability);
    const warm: number[] = [];
    for (let i = 0; i < 21; i++) warm.push(await timeCall(capability));
    out[`${name}WarmMs`] = median(warm);
  }
  out.activeAfterCalls = host.status().filter((s) => s.state === 'active').length;
}

const t1 = performance.now();
await host.stop();
out.stopMs = performance.now() - t1;
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);

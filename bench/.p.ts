import { Session } from 'node:inspector';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resolvePlan } from '../src/registry/index.js';
import { alternativesPackages } from '../tests/registry/alternativesCatalog.js';
const n = Number(process.argv[2] ?? 100000);
const which = process.argv[3] ?? 'warm';
const packages = Object.freeze(alternativesPackages(n, { seed: 1 }));
const s = new Session(); s.connect();
const post = (m: string, p?: object) => new Promise<any>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 500 });
if (which === 'warm') { const t = performance.now(); resolvePlan(packages, { hostVersion: '1.0.0' }); console.log('cold', performance.now() - t); }
await post('Profiler.start');
const t = performance.now();
resolvePlan(packages, { hostVersion: '1.0.0' });
console.log(which, performance.now() - t);
const { profile } = await post('Profiler.stop');
fs.writeFileSync(`/tmp/r100k/${which}.cpuprofile`, JSON.stringify(profile));

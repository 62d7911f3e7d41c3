/**
 * `npm run bench [-- NAME…] [--json] [--quick]`: runs bench/*.bench.ts (or the ones whose
 * file name starts with a NAME), prints a table per report and then the summary table
 * (every headline figure beside its goal in bench/targets.ts), and with --json writes
 * bench/results/NAME.json per bench and bench/results/summary.json, and prints the JSON.
 * docs/benchmarks.md explains every figure.
 */
import { readdir, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { formatTable, type Benchmark, type BenchReport } from './harness.js';
import { summarize } from './summary.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const json = args.includes('--json');
const quick = args.includes('--quick');
const names = args.filter((a) => !a.startsWith('--'));

const files = (await readdir(here)).filter((f) => f.endsWith('.bench.ts')).sort();
const selected = names.length ? files.filter((f) => names.some((n) => f.startsWith(n))) : files;
if (selected.length === 0) {
  console.error(`no benchmark matches ${names.join(', ')}; have: ${files.map((f) => f.replace('.bench.ts', '')).join(', ')}`);
  process.exit(2);
}

const loadAtStart = os.loadavg()[0]!;
const all: Record<string, BenchReport[]> = {};
for (const file of selected) {
  const mod = (await import(pathToFileURL(path.join(here, file)).href)) as { default: Benchmark };
  const bench = mod.default;
  console.error(`\n# ${bench.name}: ${bench.description}`);
  const reports = await bench.run({ quick, log: (line) => console.error(`  ${line}`) });
  all[bench.name] = reports;
  if (!json) for (const r of reports) console.log('\n' + formatTable(r));
  if (json) {
    await mkdir(path.join(here, 'results'), { recursive: true });
    await writeFile(path.join(here, 'results', `${bench.name}.json`), JSON.stringify(reports, null, 2));
  }
}
const summary = summarize(all, selected.length === files.length, quick);
// The machine is shared: say how busy it was, so a reader can weigh the absolute figures.
summary.report.notes!.push(`load average (1 min) ${loadAtStart.toFixed(2)} at the start, ${os.loadavg()[0]!.toFixed(2)} at the end, on ${os.availableParallelism()} cores`);
console.log('\n' + formatTable(summary.report));
if (json) {
  await writeFile(path.join(here, 'results', 'summary.json'), JSON.stringify(summary.rows, null, 2));
  console.log(JSON.stringify({ ...all, summary: summary.rows }, null, 2));
}
// isolated-vm handles can keep the loop alive after a benchmark: finish explicitly.
process.exit(0);

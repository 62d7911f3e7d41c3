import path from 'node:path';
import { createHost, type Host, type ModuleStatus } from '../../runtime/index.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { printJson, table, type CliIO } from '../io.js';
import type { Command } from '../command.js';

/** The status table people read in `hotmod start` / `hotmod dev`. */
export function statusTable(status: readonly ModuleStatus[]): string {
  if (status.length === 0) return '(no modules)';
  return table(
    ['MODULE', 'VERSION', 'STATE', 'CALLS', 'ERRORS', 'P95 MS', 'NOTE'],
    status.map((s) => [
      s.id,
      s.version,
      s.state,
      String(s.metrics.calls),
      String(s.metrics.errors),
      s.metrics.latencyMs.count ? s.metrics.latencyMs.p95.toFixed(2) : '-',
      s.reason ?? (s.activation === 'lazy' && s.state === 'resolved' ? 'lazy: activates on first call' : ''),
    ]),
  );
}

export interface HostRunOptions {
  modulesDir: string;
  store?: string;
  configFile?: string;
  watch: boolean;
  /** --fleet: serve the store's published artifacts and heartbeat into `hotmod fleet` (docs/fleet.md). */
  fleet?: true;
}

export function hostRunOptions(argv: string[], defaults: { watch: boolean }): { run: HostRunOptions; json: boolean } {
  const args = parseArgs(argv, { values: ['modules', 'store', 'config'], booleans: ['fleet'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
  const store = stringFlag(args, 'store');
  const configFile = stringFlag(args, 'config');
  return {
    run: {
      modulesDir: path.resolve(stringFlag(args, 'modules') ?? 'modules'),
      ...(store !== undefined ? { store } : {}),
      ...(configFile !== undefined ? { configFile: path.resolve(configFile) } : {}),
      watch: defaults.watch,
      ...(args.flags.fleet === true ? { fleet: true as const } : {}),
    },
    json: args.flags.json === true,
  };
}

/** Resolves on the first SIGINT / SIGTERM; the second one is left to Node's default (exit now). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Starts a host, prints its status, and stops it cleanly on SIGINT / SIGTERM. */
export async function runHost(
  io: CliIO,
  options: HostRunOptions,
  json: boolean,
  attach?: (host: Host) => () => void,
  onStarted?: (host: Host) => void,
): Promise<number> {
  const host = await createHost({ ...options, logger: json ? 'silent' : (process.env.HOTMOD_LOG_LEVEL as 'info' | undefined) ?? 'silent' });
  const detach = attach?.(host);
  const signal = untilSignal();
  // A server process: stay alive until told to stop, whatever handles the parts hold (or drop).
  const keepAlive = setInterval(() => {}, 1 << 30);
  try {
    await host.start();
    if (onStarted) onStarted(host);
    else if (json) printJson(io, { event: 'started', modulesDir: options.modulesDir, modules: host.status() });
    else io.out(`hotmod: serving ${host.status().length} module(s) from ${options.modulesDir}\n${statusTable(host.status())}\nPress Ctrl-C to stop.`);
    const received = await signal;
    if (!json) io.out(`\nhotmod: ${received} received, stopping (draining in-flight calls)…`);
  } finally {
    detach?.();
    await host.stop();
    clearInterval(keepAlive);
  }
  if (json) printJson(io, { event: 'stopped' });
  else io.out('hotmod: stopped');
  return 0;
}

export const command: Command = {
  summary: 'Run the host: activate the modules and serve until SIGINT / SIGTERM (then drain and stop)',
  usage: 'hotmod start [--modules DIR] [--store URL] [--config hotmod.config.json] [--fleet] [--json]   (--fleet: serve what hotmod publish stored, show up in hotmod fleet)',
  async run(argv: string[], io: CliIO): Promise<number> {
    const { run, json } = hostRunOptions(argv, { watch: false });
    return runHost(io, run, json);
  },
};

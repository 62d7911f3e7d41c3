/**
 * `isolation: 'process'`: sandboxes whose isolates live in supervised child processes.
 * The factory implements the same `SandboxFactory` as the in-process one, so the runtime,
 * router and swap use it unchanged; `close()` ends every child, whatever it is doing.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { HotmodError } from '../../errors.js';
import type { Sandbox, SandboxFactory } from '../types.js';
import type { IsolateSandboxFactoryOptions } from '../createIsolateSandboxFactory.js';
import { ProcessSandboxErrorCode } from './errors.js';
import { durationRule, isDuration, MAX_DURATION_MS } from '../durations.js';
import { ProcessPool, type ProcessInfo, type ProcessSandboxLogger } from './processPool.js';
import { ProcessSandbox } from './processSandbox.js';

export interface ProcessSandboxFactoryOptions {
  /** Child processes in the pool (default: 2, or 1 on a single-core machine). */
  poolSize?: number;
  /** How often a child reports that its event loop turns (default 500 ms). */
  heartbeatIntervalMs?: number;
  /**
   * Silence after which a child counts as hung and is killed (default 10 000 ms). Keep it
   * above the longest synchronous stretch a module may legitimately run (its call and
   * activate timeouts): a synchronous call blocks the child's heartbeat while it runs.
   */
  heartbeatTimeoutMs?: number;
  /** The child's own V8 heap limit (`--max-old-space-size`); isolates have their own limits. */
  maxMemoryMb?: number;
  /** Time for a child to load and report ready (default 15 000 ms). */
  spawnTimeoutMs?: number;
  /** Time a child gets to exit after `close()` asked it to, before SIGKILL (default 1000 ms). */
  closeGraceMs?: number;
  /** Supervision events (crashes, restarts) and children's stderr. */
  logger?: ProcessSandboxLogger;
  /**
   * Options of the in-process isolate factory each child runs (JSON only). Default: its
   * own defaults (`execution: 'sync'`): module code that wedges its isolate then also
   * stops the child's heartbeat, so the supervisor kills and replaces the child; see
   * docs/process-isolation.md.
   */
  isolate?: IsolateSandboxFactoryOptions;
  /**
   * @internal The in-process factory the children run: a module URL and the name of its
   * factory export. Default: hotmod's `createIsolateSandboxFactory`.
   */
  innerFactory?: { moduleUrl: string; exportName: string };
}

export interface ProcessSandboxFactory extends SandboxFactory {
  create(options: Parameters<SandboxFactory['create']>[0]): Promise<Sandbox>;
  close(): Promise<void>;
  /** The live children (pid, slot, state, load): for status pages and tests. */
  processes(): ProcessInfo[];
}

// Source files run as .ts through tsx; a compiled build would run .js without a loader.
const ownExtension = import.meta.url.endsWith('.ts') ? 'ts' : 'js';

export function createProcessSandboxFactory(options: ProcessSandboxFactoryOptions = {}): ProcessSandboxFactory {
  const poolSize = positive('poolSize', options.poolSize, Math.min(2, availableParallelism()));
  const heartbeatIntervalMs = positive('heartbeatIntervalMs', options.heartbeatIntervalMs, 500);
  const heartbeatTimeoutMs = positive('heartbeatTimeoutMs', options.heartbeatTimeoutMs, 10_000);
  const spawnTimeoutMs = positive('spawnTimeoutMs', options.spawnTimeoutMs, 15_000);
  const closeGraceMs = positive('closeGraceMs', options.closeGraceMs, 1000);
  if (heartbeatTimeoutMs <= heartbeatIntervalMs) {
    throw new HotmodError(
      ProcessSandboxErrorCode.PROCESS_OPTIONS_INVALID,
      `process sandbox options: heartbeatTimeoutMs (${heartbeatTimeoutMs}) must exceed heartbeatIntervalMs (${heartbeatIntervalMs}); use several intervals`,
      { heartbeatIntervalMs, heartbeatTimeoutMs },
    );
  }
  const inner = options.innerFactory ?? {
    moduleUrl: new URL(`../index.${ownExtension}`, import.meta.url).href,
    exportName: 'createIsolateSandboxFactory',
  };
  const execArgv = ['--no-node-snapshot'];
  if (ownExtension === 'ts') execArgv.push('--import', tsxLoaderUrl());
  if (options.maxMemoryMb !== undefined) execArgv.push(`--max-old-space-size=${positive('maxMemoryMb', options.maxMemoryMb, 0)}`);

  const pool = new ProcessPool(
    poolSize,
    {
      entry: fileURLToPath(new URL(`./childMain.${ownExtension}`, import.meta.url)),
      execArgv,
      args: [inner.moduleUrl, inner.exportName, String(heartbeatIntervalMs), JSON.stringify(options.isolate ?? {})],
      spawnTimeoutMs,
      heartbeatTimeoutMs,
    },
    options.logger,
  );
  // A host that exits without close() must not leave children behind (one spinning in an
  // endless loop would never notice the disconnect).
  const onExit = (): void => pool.killAll();
  process.once('exit', onExit);
  let closing: Promise<void> | undefined;

  return {
    create: (sandboxOptions) => {
      // The parent arms its own timers from these before the child checks them.
      for (const key of ['callTimeoutMs', 'activateTimeoutMs', 'deactivateTimeoutMs'] as const) {
        const value = sandboxOptions.limits?.[key];
        if (!isDuration(value)) {
          return Promise.reject(
            new HotmodError(ProcessSandboxErrorCode.PROCESS_OPTIONS_INVALID, `process sandbox: module '${sandboxOptions.moduleId}': limits.${key} ${durationRule(value)}; fix the limit`, { option: `limits.${key}` }),
          );
        }
      }
      return pool.create(sandboxOptions);
    },
    processes: () => pool.processes(),
    close: () =>
      (closing ??= pool.close(closeGraceMs).finally(() => {
        process.off('exit', onExit);
      })),
  };
}

/** The pid of the child process hosting a sandbox made by a process factory (debugging, tests). */
export function processSandboxPid(sandbox: Sandbox): number | undefined {
  return sandbox instanceof ProcessSandbox ? sandbox.child.pid : undefined;
}

// tsx is resolved from this package, not from the cwd, so hosts started anywhere work.
function tsxLoaderUrl(): string {
  const require = createRequire(import.meta.url);
  return pathToFileURL(require.resolve('tsx')).href;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  // Every option here is a count or a duration: none is meaningful past Node's timer range.
  if (!Number.isFinite(value) || value <= 0 || value > MAX_DURATION_MS) {
    throw new HotmodError(
      ProcessSandboxErrorCode.PROCESS_OPTIONS_INVALID,
      `process sandbox options: ${name} must be a positive number at most ${MAX_DURATION_MS}, got ${String(value)}`,
      { option: name, value: String(value) },
    );
  }
  return value;
}

/**
 * Runs examples/app-server/server.ts as a real child process on Node 24 (the vitest
 * worker's own execPath) with --no-node-snapshot and tsx, the way `npm start` does, and
 * reads its console to learn the URL it listens on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../..');
export const serverScript = path.join(root, 'examples/app-server/server.ts');

export interface AppServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the server printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the first output line matching `pattern`, printed after the call or before. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` and resolves with the exit code (null when killed by a signal), or rejects after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

export async function startAppServer(options: {
  env: Record<string, string>;
  args?: string[];
  startTimeoutMs?: number;
}): Promise<AppServerProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', serverScript, ...(options.args ?? [])], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString('utf8');
    for (const wake of waiters) wake();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    for (const wake of waiters) wake();
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = text.split('\n').find((l) => pattern.test(l));
        if (line !== undefined) return done(() => resolve(line));
        if (hasExited) done(() => reject(new Error(`server exited before printing ${pattern}; output:\n${text}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`server did not print ${pattern} within ${timeoutMs} ms; output:\n${text}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 20_000) => {
    if (hasExited) return child.exitCode;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        exited,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`server did not exit within ${timeoutMs} ms of ${signal}; output:\n${text}`));
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  };

  try {
    const line = await waitForOutput(/listening on http:\/\//, options.startTimeoutMs ?? 60_000);
    const url = /listening on (http:\/\/\S+)/.exec(line)![1]!;
    return { url, child, output: () => text, waitForOutput, stop };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
}

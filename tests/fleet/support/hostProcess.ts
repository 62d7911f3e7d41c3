/**
 * Spawns tests/fleet/support/artifactHost.ts as a real child process (Node 24, as the
 * vitest worker runs, with --no-node-snapshot and tsx) and talks to it over IPC.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const script = path.join(import.meta.dirname, 'artifactHost.ts');

export interface HostEvent {
  event: string;
  [key: string]: unknown;
}

export interface HostProcess {
  readonly hostId: string;
  readonly child: ChildProcess;
  readonly events: HostEvent[];
  /** Sends a request; resolves with its value, rejects with the host's error (code in `.code`). */
  request<T = unknown>(op: 'invoke' | 'status' | 'fleet' | 'rollouts' | 'explain' | 'stop', body?: Record<string, unknown>): Promise<T>;
  invoke(clientId: string, capability: string, method: string, input?: unknown): Promise<unknown>;
  /** A clean stop (the host's stop(), then exit). */
  stop(): Promise<void>;
  /** kill -9. */
  kill(): Promise<void>;
}

export async function startHostProcess(env: Record<string, string>, startTimeoutMs = 90_000): Promise<HostProcess> {
  const child = fork(script, [], {
    execPath: process.execPath,
    execArgv: ['--no-node-snapshot', '--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const events: HostEvent[] = [];
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let seq = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.on('message', (raw) => {
    const m = raw as { reply?: number; ok?: boolean; value?: unknown; code?: string; message?: string } & HostEvent;
    if (m.reply !== undefined) {
      const p = pending.get(m.reply);
      pending.delete(m.reply);
      if (m.ok) p?.resolve(m.value);
      else p?.reject(Object.assign(new Error(m.message), { code: m.code }));
    } else events.push(m);
  });
  void exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`host ${env.HOST_ID} exited; output:\n${output}`));
    pending.clear();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host ${env.HOST_ID} not ready within ${startTimeoutMs} ms; output:\n${output}`)), startTimeoutMs);
    const check = (raw: unknown) => {
      if ((raw as HostEvent).event !== 'ready') return;
      clearTimeout(timer);
      child.off('message', check);
      resolve();
    };
    child.on('message', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`host ${env.HOST_ID} exited before it was ready; output:\n${output}`));
    });
  });
  const request = <T>(op: string, body: Record<string, unknown> = {}) =>
    new Promise<T>((resolve, reject) => {
      const n = ++seq;
      pending.set(n, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ seq: n, op, ...body });
    });
  return {
    hostId: env.HOST_ID!,
    child,
    events,
    request,
    invoke: (clientId, capability, method, input) => request('invoke', { clientId, capability, method, input }),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      await request('stop').catch(() => {});
      await exited;
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

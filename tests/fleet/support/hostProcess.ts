/** Spawns rolloutHostChild.ts as a real application server (Node 24, --no-node-snapshot, tsx) and talks to it over IPC. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const CHILD = path.join(import.meta.dirname, 'rolloutHostChild.ts');
const ROOT = path.resolve(import.meta.dirname, '../../..');

export interface HostProcess {
  readonly hostId: string;
  readonly child: ChildProcess;
  /** Every 'rollout:changed' event the host emitted. */
  readonly events: Record<string, unknown>[];
  output(): string;
  request<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export async function startHostProcess(hostId: string, env: { modulesDir: string; storeUrl: string; pollMs?: number }): Promise<HostProcess> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', CHILD], {
    cwd: ROOT,
    env: { ...process.env, HOTMOD_ROLLOUT_MODULES: env.modulesDir, HOTMOD_ROLLOUT_STORE: env.storeUrl, HOTMOD_ROLLOUT_HOST: hostId, HOTMOD_ROLLOUT_POLL_MS: String(env.pollMs ?? 100), FORCE_COLOR: '0' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let text = '';
  child.stdout!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const events: Record<string, unknown>[] = [];
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let seq = 0;
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  child.on('message', (m: { ready?: true; event?: string; id?: number; result?: unknown; error?: { code?: string; message: string } }) => {
    if (m.ready) ready();
    else if (m.event) events.push(m);
    else if (m.id !== undefined) {
      const p = pending.get(m.id);
      pending.delete(m.id);
      if (m.error) p?.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
      else p?.resolve(m.result);
    }
  });
  await Promise.race([
    started,
    exited.then(() => {
      throw new Error(`host ${hostId} exited before it was ready:\n${text}`);
    }),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`host ${hostId} not ready within 90 s:\n${text}`)), 90_000)),
  ]);
  return {
    hostId,
    child,
    events,
    output: () => text,
    request<T>(message: Record<string, unknown>, timeoutMs = 60_000) {
      const id = ++seq;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`host ${hostId}: no answer to ${JSON.stringify(message)} within ${timeoutMs} ms`)), timeoutMs);
        pending.set(id, {
          resolve: (v) => (clearTimeout(timer), resolve(v as T)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        child.send({ id, ...message });
      });
    },
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    },
  };
}

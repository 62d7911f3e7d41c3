import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { blockingInner, fixtures, inner, isAlive, until } from './support.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const script = path.join(fixtures, 'hostScript.ts');
const runtimeScript = path.join(fixtures, 'hostRuntimeScript.ts');
const leftovers = new Set<number>();

afterEach(() => {
  for (const pid of leftovers) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  leftovers.clear();
});

interface HostRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  report:
    | { scenario: string; outcome: string; pid?: number; pids?: number[]; fatals?: string[]; calls?: number; closeMs?: number; stopMs?: number; left?: number }
    | undefined;
  stderr: string;
}

/** Runs the host script; a generous bound, then SIGKILL so the test process never hangs. */
function runHost(scenario: string, innerFactory: { moduleUrl: string; exportName: string } | 'runtime', boundMs = 40_000): Promise<HostRun> {
  const args = innerFactory === 'runtime' ? [runtimeScript, scenario] : [script, scenario, innerFactory.moduleUrl, innerFactory.exportName];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', tsx, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    leftovers.add(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), boundMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').findLast((l) => l.startsWith('{'));
      const report = line === undefined ? undefined : (JSON.parse(line) as HostRun['report']);
      for (const pid of [report?.pid, ...(report?.pids ?? [])]) if (pid !== undefined) leftovers.add(pid);
      resolve({ code, signal, report, stderr });
    });
  });
}

async function expectCleanExit(run: HostRun, outcome: string | string[]): Promise<void> {
  expect(run.signal, `host was killed by the test bound; stderr: ${run.stderr.slice(-2000)}`).toBeNull();
  expect(run.code, run.stderr.slice(-2000)).toBe(0);
  expect(run.report).toBeDefined();
  expect([outcome].flat()).toContain(run.report!.outcome);
  if (run.report!.left !== undefined) expect(run.report!.left).toBe(0);
  // No child may outlive its host.
  const pids = [run.report!.pid, ...(run.report!.pids ?? [])].filter((p): p is number => p !== undefined);
  expect(pids.length).toBeGreaterThan(0);
  await until(() => pids.every((pid) => !isAlive(pid)), `children ${pids.join(', ')} to be gone after the host exited`, 10_000);
}

describe('a host using process sandboxes always exits', () => {
  it('after a normal round trip and close()', async () => {
    await expectCleanExit(await runHost('normal', inner), 'ok');
  });

  it('after its child was SIGKILLed mid-call', async () => {
    const run = await runHost('sigkill', inner);
    await expectCleanExit(run, 'E_SANDBOX_CRASHED');
    expect(run.report!.fatals).toEqual(['E_SANDBOX_CRASHED']);
  });

  it('after an endless loop in module code', async () => {
    await expectCleanExit(await runHost('spin', inner), 'E_CALL_TIMEOUT');
  });

  it('after an endless loop that blocks the child event loop', async () => {
    await expectCleanExit(await runHost('spin', blockingInner), 'E_CALL_TIMEOUT');
  });

  it('after a huge allocation wedged the isolate', async () => {
    await expectCleanExit(await runHost('huge', inner), ['E_CALL_TIMEOUT', 'E_SANDBOX_CRASHED', 'E_SANDBOX_MEMORY']);
  });

  it('after a slow memory bomb hit the isolate limit', async () => {
    const run = await runHost('bomb', inner);
    await expectCleanExit(run, 'E_SANDBOX_MEMORY');
    expect(run.report!.fatals).toEqual(['E_SANDBOX_MEMORY']);
  });

  it('when the host forgets close()', async () => {
    await expectCleanExit(await runHost('forget-close', inner), 'ok');
  });

  it('when the host forgets close() while its child spins in an endless loop', async () => {
    await expectCleanExit(await runHost('forget-close-spinning', blockingInner), 'E_CALL_TIMEOUT');
  });
});

describe('a host built with createHost and a process module always exits after stop()', () => {
  it('after a normal call', async () => {
    await expectCleanExit(await runHost('normal', 'runtime'), 'ok');
  });

  it('after its child was SIGKILLed mid-call', async () => {
    await expectCleanExit(await runHost('sigkill', 'runtime'), 'E_SANDBOX_CRASHED');
  });

  it('after an endless loop in the module', async () => {
    await expectCleanExit(await runHost('spin', 'runtime'), 'E_CALL_TIMEOUT');
  });

  it('after a huge allocation wedged the isolate', async () => {
    await expectCleanExit(await runHost('huge', 'runtime'), ['E_CALL_TIMEOUT', 'E_SANDBOX_CRASHED', 'E_SANDBOX_MEMORY']);
  });

  it('after a slow memory bomb hit the isolate limit', async () => {
    await expectCleanExit(await runHost('bomb', 'runtime'), 'E_SANDBOX_MEMORY');
  });

  it('after swaps under load with no failed call', async () => {
    const run = await runHost('swap', 'runtime');
    await expectCleanExit(run, 'ok');
    expect(run.report!.calls).toBeGreaterThan(0);
  });
});

/**
 * Helpers for the sandbox tests: fixture modules from tests/fixtures/sandbox/<name>/,
 * options with test-sized limits, and a tracker that disposes every sandbox after a test.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { createIsolateSandboxFactory, type CallContext, type OutgoingCall, type Sandbox, type SandboxFactory, type SandboxOptions, type LogLevel } from '../../src/sandbox/index.js';

export const fixturesDir = path.resolve(import.meta.dirname, '../fixtures/sandbox');

export function fixturePath(name: string): string {
  return path.join(fixturesDir, name, 'index.js');
}

export function fixtureCode(name: string): string {
  return readFileSync(fixturePath(name), 'utf8');
}

export interface LogEntry {
  level: LogLevel;
  message: string;
  data?: unknown;
}

export interface TestSandboxOptions extends Partial<Omit<SandboxOptions, 'limits'>> {
  limits?: Partial<SandboxOptions['limits']>;
}

export const context: CallContext = { clientId: 'client-1', requestId: 'req-1', settings: { currency: 'EUR' } };

/** Options for a fixture, with the host side recorded: logs, outgoing calls, fatal errors. */
export function sandboxOptions(fixture: string, overrides: TestSandboxOptions = {}) {
  const logs: LogEntry[] = [];
  const outgoing: OutgoingCall[] = [];
  const fatal: Error[] = [];
  const options: SandboxOptions = {
    moduleId: 'demo',
    version: '1.0.0',
    code: overrides.code ?? fixtureCode(fixture),
    filename: overrides.filename ?? fixturePath(fixture),
    permissions: ['log', 'timers'],
    log: (level, message, data) => logs.push({ level, message, data }),
    callCapability: async (call) => {
      outgoing.push(call);
      return { ok: true, capability: call.capability, method: call.method, input: call.input };
    },
    onFatal: (error) => fatal.push(error),
    ...overrides,
    limits: { memoryMb: 32, callTimeoutMs: 1000, activateTimeoutMs: 2000, deactivateTimeoutMs: 2000, ...overrides.limits },
  };
  return { options, logs, outgoing, fatal };
}

/** Creates sandboxes and disposes all of them after each test. */
export function sandboxTracker(factory: SandboxFactory = createIsolateSandboxFactory()) {
  const live: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(live.splice(0).map((s) => s.dispose()));
  });
  return {
    factory,
    async create(options: SandboxOptions): Promise<Sandbox> {
      const sandbox = await factory.create(options);
      live.push(sandbox);
      return sandbox;
    },
    async activated(fixture: string, overrides: TestSandboxOptions = {}, config: unknown = { currency: 'EUR' }) {
      const made = sandboxOptions(fixture, overrides);
      const sandbox = await factory.create(made.options);
      live.push(sandbox);
      const activated = await sandbox.activate({ config, previousState: undefined });
      return { sandbox, activated, ...made };
    },
  };
}

/** Polls until `check` returns true (robust on a noisy machine; no tight wall-clock asserts). */
export async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const root = path.resolve(import.meta.dirname, '../..');

export type Line = Record<string, unknown> & { event: string };

/** Runs tests/fixtures/sandbox/memory-child.ts, collects its JSON lines until 'done', then kills it. */
export function runChild(execution: 'sync' | 'async', method: string, budgetMs: number): Promise<Line[]> {
  return runScript(path.join(fixturesDir, 'memory-child.ts'), [execution, method], budgetMs);
}

/** Runs a child script that prints JSON lines, until its 'done' line; kills it then, or after budgetMs (the test fails). */
export async function runScript(script: string, args: string[], budgetMs: number): Promise<Line[]> {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', script, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Line[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`child did not finish in ${budgetMs} ms; lines ${JSON.stringify(lines)}; stderr ${stderr.slice(-2000)}`)), budgetMs);
      let buffer = '';
      child.stdout.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffer.slice(0, newline)) as Line;
          buffer = buffer.slice(newline + 1);
          lines.push(line);
          if (line.event === 'done') {
            clearTimeout(timer);
            resolve();
          }
        }
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (lines.at(-1)?.event !== 'done') reject(new Error(`child exited (${code ?? signal}) early; lines ${JSON.stringify(lines)}; stderr ${stderr.slice(-2000)}`));
      });
    });
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  return lines;
}


/** Shared helpers for the process-isolation tests: fixture bundles and sandbox options. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OutgoingCall, SandboxOptions } from '../../src/sandbox/types.js';

export const fixtures = path.resolve(import.meta.dirname, '../fixtures/process');

export function bundle(name: string): { code: string; filename: string } {
  const filename = path.join(fixtures, 'modules', `${name}.js`);
  return { code: readFileSync(filename, 'utf8'), filename };
}

/** The inner factory under test: hotmod's own isolate sandbox (the factory's default). */
export const inner = {
  moduleUrl: pathToFileURL(path.resolve(import.meta.dirname, '../../src/sandbox/index.ts')).href,
  exportName: 'createIsolateSandboxFactory',
};
export const blockingInner = {
  moduleUrl: pathToFileURL(path.join(fixtures, 'blockingFactory.ts')).href,
  exportName: 'createBlockingFactory',
};

export interface Recorder {
  fatals: Error[];
  logs: string[];
  outgoing: OutgoingCall[];
}

export function sandboxOptions(
  name: string,
  overrides: Partial<SandboxOptions> = {},
): { options: SandboxOptions; recorder: Recorder } {
  const recorder: Recorder = { fatals: [], logs: [], outgoing: [] };
  const options: SandboxOptions = {
    moduleId: name,
    version: '1.0.0',
    ...bundle(name),
    permissions: ['log'],
    limits: { memoryMb: 64, callTimeoutMs: 1000, activateTimeoutMs: 5000, deactivateTimeoutMs: 5000 },
    log: (level, message) => recorder.logs.push(`${level}: ${message}`),
    callCapability: async (call) => {
      recorder.outgoing.push(call);
      if (call.capability === 'test.math' && call.method === 'add') {
        const { a, b } = call.input as { a: number; b: number };
        return a + b;
      }
      throw new Error(`no provider for ${call.capability}`);
    },
    onFatal: (error) => recorder.fatals.push(error),
    ...overrides,
  };
  return { options, recorder };
}

export const ctx = { clientId: 'acme', requestId: 'r1', settings: {} };

/** Polls until `check` is true (no wall-clock assertions: a generous deadline only). */
export async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Helpers for the web-runtime tests: a real isolate sandbox whose one method evaluates an
 * expression (indirect eval, so it runs as the module's own code would) and returns its
 * JSON result, with the module's log recorded.
 */
import { afterEach } from 'vitest';
import type { Permission } from '../../src/registry/index.js';
import { createIsolateSandboxFactory, type LogLevel, type Sandbox } from '../../src/sandbox/index.js';

export const evalModule = `
export async function activate() {
  return { t: {
    run(src) { return (0, eval)(src); },
    async runAsync(src) { return await (0, eval)('(async () => ' + src + ')()'); },
  } };
}`;

export interface LogLine {
  level: LogLevel;
  message: string;
  data?: unknown;
}

const context = { clientId: 'c1', requestId: 'r1', settings: {} };

export function evalSandboxes() {
  const live: Sandbox[] = [];
  afterEach(async () => {
    await Promise.all(live.splice(0).map((s) => s.dispose()));
  });
  return async function make(options: { permissions?: Permission[]; code?: string; filename?: string } = {}) {
    const logs: LogLine[] = [];
    const sandbox = await createIsolateSandboxFactory().create({
      moduleId: 'web',
      version: '1.0.0',
      code: options.code ?? evalModule,
      filename: options.filename ?? '/virtual/web/dist/index.js',
      permissions: options.permissions ?? ['log', 'timers'],
      log: (level, message, data) => logs.push({ level, message, data }),
      callCapability: async () => undefined,
      onFatal: () => {},
      limits: { memoryMb: 64, callTimeoutMs: 5000, activateTimeoutMs: 5000, deactivateTimeoutMs: 2000 },
    });
    live.push(sandbox);
    await sandbox.activate({ config: {}, previousState: undefined });
    return {
      sandbox,
      logs,
      run: (src: string) => sandbox.call('t', 'run', src, context),
      runAsync: (src: string) => sandbox.call('t', 'runAsync', src, context),
      call: (capability: string, method: string, input?: unknown) => sandbox.call(capability, method, input, context),
    };
  };
}

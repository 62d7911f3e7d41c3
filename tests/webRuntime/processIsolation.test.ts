/**
 * Issue 13.1 and 13.4 under process isolation: the sandbox in a child process has the same
 * web globals, the same Node-only hints, and maps errors to src/ with the map on disk.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { createProcessSandboxFactory, type ProcessSandboxFactory } from '../../src/sandbox/process/index.js';
import { evalModule } from './support.js';
import { bundle, moduleFolders } from './libModules.js';

const modulePackage = moduleFolders();
let factory: ProcessSandboxFactory | undefined;
afterEach(async () => {
  await factory?.close();
  factory = undefined;
});

const ctx = { clientId: 'c1', requestId: 'r1', settings: {} };
function options(code: string, filename: string) {
  return {
    moduleId: 'web', version: '1.0.0', code, filename, permissions: ['log' as const],
    log: () => {}, callCapability: async () => undefined, onFatal: () => {},
    limits: { memoryMb: 64, callTimeoutMs: 5000, activateTimeoutMs: 5000, deactivateTimeoutMs: 2000 },
  };
}

describe('web runtime in a process sandbox', () => {
  it('has the globals, explains a Node-only name, and shows the src/ place of an error', async () => {
    factory = createProcessSandboxFactory({ poolSize: 1 });
    const s = await factory.create(options(evalModule, '/virtual/web/dist/index.js'));
    await s.activate({ config: {}, previousState: undefined });
    expect(await s.call('t', 'run', `[new URL('../b?x=1', 'https://h/a/c').href, btoa(new TextDecoder().decode(new TextEncoder().encode('hi'))), typeof crypto.randomUUID(), typeof structuredClone, typeof process]`, ctx)).toEqual([
      'https://h/b?x=1', 'aGk=', 'string', 'function', 'undefined',
    ]);
    const error = (await s.call('t', 'run', 'Buffer.from("x")', ctx).catch((e: unknown) => e)) as HotmodError;
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.message).toMatch(/Buffer is not defined: a Node-only API absent from the sandbox; use Uint8Array/);
    await s.dispose();

    const dir = await modulePackage({ 'src/index.ts': `export async function activate() {\n  return { t: { boom: () => {\n    throw new Error('boom');\n  } } };\n}\n` });
    const built = await bundle(dir);
    const mapped = await factory.create(options(built.code, built.outfile));
    await mapped.activate({ config: {}, previousState: undefined });
    const thrown = (await mapped.call('t', 'boom', undefined, ctx).catch((e: unknown) => e)) as HotmodError;
    expect(thrown.details.sourceLocation).toBe('src/index.ts:3:11');
    await mapped.dispose();
  });
});

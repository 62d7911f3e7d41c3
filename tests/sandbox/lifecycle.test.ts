import { createHook } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createIsolateSandboxFactory, type CallContext, type Sandbox } from '../../src/sandbox/index.js';
import { context, fixturePath, sandboxOptions, sandboxTracker } from './support.js';

describe('isolate sandbox: load, activate, call, deactivate, dispose', () => {
  const sandboxes = sandboxTracker();

  it('activates a module and reports its capabilities and whether it is stateful', async () => {
    const { sandbox, activated } = await sandboxes.activated('basic');
    expect(sandbox.state).toBe('active');
    expect(activated.hasDeactivate).toBe(true);
    expect(activated.capabilities['demo.echo']).toEqual(['echo', 'asyncEcho', 'wait', 'count', 'context', 'environment', 'log']);
    expect(activated.capabilities['demo.calls']).toEqual(['forward', 'forwardCatching']);
    expect(sandbox.moduleId).toBe('demo');
    expect(sandbox.version).toBe('1.0.0');
  });

  it('reports a module without deactivate as stateless, whose deactivate returns undefined', async () => {
    const { sandbox, activated } = await sandboxes.activated('stateless');
    expect(activated.hasDeactivate).toBe(false);
    await expect(sandbox.deactivate()).resolves.toBeUndefined();
  });

  it('calls sync methods, microtask-only async methods and methods that await a timer', async () => {
    const { sandbox } = await sandboxes.activated('basic');
    await expect(sandbox.call('demo.echo', 'echo', { a: [1, 'two', null] }, context)).resolves.toEqual({ a: [1, 'two', null] });
    await expect(sandbox.call('demo.echo', 'asyncEcho', 'hi', context)).resolves.toEqual({ echoed: 'hi' });
    await expect(sandbox.call('demo.echo', 'wait', { ms: 20 }, context)).resolves.toEqual({ waited: 20 });
    // setTimeout(fn, 0) runs on the host's next turn (setImmediate), well within the call timeout.
    const zeroDelay = await Promise.all(Array.from({ length: 20 }, () => sandbox.call('demo.echo', 'wait', { ms: 0 }, context, 5_000)));
    expect(zeroDelay).toEqual(Array.from({ length: 20 }, () => ({ waited: 0 })));
    await expect(sandbox.call('demo.echo', 'echo', undefined, context)).resolves.toBeUndefined();
  });

  it('keeps module state between calls and serves many calls in flight', async () => {
    const { sandbox } = await sandboxes.activated('basic');
    const results = await Promise.all(Array.from({ length: 64 }, (_, i) => sandbox.call('demo.echo', i % 2 ? 'wait' : 'asyncEcho', i % 2 ? { ms: i % 7 } : i, context)));
    results.forEach((result, i) => expect(result).toEqual(i % 2 ? { waited: i % 7 } : { echoed: i }));
    expect(await sandbox.call('demo.echo', 'count', undefined, context)).toBe(1);
    expect(await sandbox.call('demo.echo', 'count', undefined, context)).toBe(2);
  });

  it('hands the method the call context and the module its id, version, config and previous state as copies', async () => {
    const config = { currency: 'EUR', nested: { deep: true } };
    const made = sandboxOptions('basic');
    const sandbox = await sandboxes.create(made.options);
    await sandbox.activate({ config, previousState: { counter: 41 } });
    const ctx: CallContext = { clientId: 'acme', requestId: 'r-77', settings: { theme: 'dark' } };
    expect(await sandbox.call('demo.echo', 'context', null, ctx)).toEqual({
      clientId: 'acme',
      requestId: 'r-77',
      settings: { theme: 'dark' },
      module: { id: 'demo', version: '1.0.0' },
      hasLog: true,
    });
    const environment = (await sandbox.call('demo.echo', 'environment', null, ctx)) as Record<string, unknown>;
    expect(environment.config).toEqual(config);
    expect(environment.previous).toEqual({ counter: 41 });
    expect(await sandbox.call('demo.echo', 'count', null, ctx)).toBe(42);
    expect(config).toEqual({ currency: 'EUR', nested: { deep: true } });
  });

  it('gives no Node API and grants log and timers only with their permission', async () => {
    const granted = await sandboxes.activated('basic');
    expect(await granted.sandbox.call('demo.echo', 'environment', null, context)).toMatchObject({
      setTimeout: 'function',
      clearTimeout: 'function',
      process: 'undefined',
      require: 'undefined',
    });
    const bare = await sandboxes.activated('basic', { permissions: [] });
    expect(await bare.sandbox.call('demo.echo', 'environment', null, context)).toMatchObject({
      setTimeout: 'undefined',
      clearTimeout: 'undefined',
      process: 'undefined',
      require: 'undefined',
    });
    expect(await bare.sandbox.call('demo.echo', 'context', null, context)).toMatchObject({ hasLog: false });
    expect(bare.logs).toEqual([]);
  });

  it('clearTimeout cancels a module timer and frees its host timer; setTimeout passes extra arguments', async () => {
    const { sandbox } = await sandboxes.activated('timers');
    await expect(sandbox.call('demo.timers', 'cancelOne', { ms: 10 }, context)).resolves.toEqual(['kept x 2']);
    // A long timer holds one host timer until the module clears it (counted with async_hooks: module timers are unref'd).
    const live = new Set<number>();
    const hook = createHook({ init: (id, type) => void (type === 'Timeout' && live.add(id)), destroy: (id) => void live.delete(id) }).enable();
    try {
      const id = await sandbox.call('demo.timers', 'scheduleLong', { ms: 60_000 }, context);
      expect(live.size).toBe(1);
      await sandbox.call('demo.timers', 'cancel', { id }, context);
      await new Promise((resolve) => setImmediate(resolve));
      expect(live.size).toBe(0);
    } finally {
      hook.disable();
    }
  });

  it('routes ctx.log to the host logger with copied data', async () => {
    const { sandbox, logs } = await sandboxes.activated('basic');
    expect(logs).toEqual([{ level: 'info', message: 'activating', data: { id: 'demo' } }]);
    await sandbox.call('demo.echo', 'log', { message: 'low stock', data: { sku: 'A1', left: 2 } }, context);
    expect(logs[1]).toEqual({ level: 'warn', message: 'low stock', data: { sku: 'A1', left: 2 } });
  });

  it('deactivates with the state copied out, and can be activated again with it', async () => {
    const { sandbox } = await sandboxes.activated('basic');
    await sandbox.call('demo.echo', 'count', null, context);
    await sandbox.call('demo.echo', 'count', null, context);
    await expect(sandbox.deactivate()).resolves.toEqual({ counter: 2, module: 'demo' });
    expect(sandbox.state).toBe('loaded');
    await expect(sandbox.call('demo.echo', 'count', null, context)).rejects.toMatchObject({ code: 'E_SANDBOX_STATE' });
    await sandbox.activate({ config: {}, previousState: { counter: 10 } });
    expect(await sandbox.call('demo.echo', 'count', null, context)).toBe(11);
  });

  it('refuses calls before activate and a second activate, with E_SANDBOX_STATE', async () => {
    const made = sandboxOptions('basic');
    const sandbox = await sandboxes.create(made.options);
    expect(sandbox.state).toBe('loaded');
    const early = await sandbox.call('demo.echo', 'echo', 1, context).catch((e: unknown) => e);
    expect(early).toMatchObject({ code: 'E_SANDBOX_STATE' });
    expect((early as Error).message).toMatch(/cannot call while loaded/);
    await sandbox.activate({ config: {}, previousState: undefined });
    await expect(sandbox.activate({ config: {}, previousState: undefined })).rejects.toMatchObject({ code: 'E_SANDBOX_STATE' });
  });

  it('refuses an unknown capability or method with E_UNKNOWN_METHOD', async () => {
    const { sandbox } = await sandboxes.activated('basic');
    const error = await sandbox.call('demo.echo', 'missing', 1, context).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_UNKNOWN_METHOD' });
    expect((error as Error).message).toContain("capability 'demo.echo' has no method 'missing'");
    await expect(sandbox.call('no.such', 'echo', 1, context)).rejects.toMatchObject({ code: 'E_UNKNOWN_METHOD' });
    await expect(sandbox.call('demo.echo', 'toString', 1, context)).rejects.toMatchObject({ code: 'E_UNKNOWN_METHOD' });
  });

  it('dispose rejects pending calls with E_SANDBOX_DISPOSED, is idempotent, and refuses later calls', async () => {
    const { sandbox } = await sandboxes.activated('basic');
    const pending = sandbox.call('demo.echo', 'wait', { ms: 5_000 }, context);
    await sandbox.dispose();
    await expect(pending).rejects.toMatchObject({ code: 'E_SANDBOX_DISPOSED' });
    expect(sandbox.state).toBe('disposed');
    await sandbox.dispose();
    await expect(sandbox.call('demo.echo', 'echo', 1, context)).rejects.toMatchObject({ code: 'E_SANDBOX_DISPOSED' });
    expect(sandbox.metrics().calls).toBe(1);
  });

  it('counts calls and errors, and reports heap, CPU and wall time', async () => {
    const { sandbox } = await sandboxes.activated('basic');
    await sandbox.call('demo.echo', 'echo', 1, context);
    await sandbox.call('demo.echo', 'missing', 1, context).catch(() => {});
    const metrics = sandbox.metrics();
    expect(metrics).toMatchObject({ calls: 2, errors: 1, timeouts: 0, heapLimitBytes: 32 * 1024 * 1024 });
    expect(metrics.heapUsedBytes).toBeGreaterThan(0);
    expect(metrics.cpuTimeNs).toBeGreaterThan(0);
    expect(metrics.wallTimeNs).toBeGreaterThanOrEqual(metrics.cpuTimeNs / 4);
  });
});

describe('isolate sandbox: loading errors', () => {
  const sandboxes = sandboxTracker();

  it('refuses a bundle with an import, telling the author to bundle with hotmod build', async () => {
    const error = await sandboxes.create(sandboxOptions('imports').options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_IMPORT', details: { imports: ['./helper.js'] } });
    expect((error as Error).message).toContain("imports './helper.js'");
    expect((error as Error).message).toContain('hotmod build');
    expect((error as Error).message).toContain(fixturePath('imports'));
  });

  it('fails a dynamic import inside a method as a module error, not a host crash', async () => {
    const { sandbox } = await sandboxes.activated('dynamic-import');
    const error = await sandbox.call('demo.echo', 'load', null, context).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MODULE_THREW' });
  });

  it('reports a syntax error with E_SANDBOX_COMPILE', async () => {
    const error = await sandboxes.create(sandboxOptions('syntax-error').options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_COMPILE' });
    expect((error as Error).message).toMatch(/failed to compile: .*Unexpected token/);
  });

  it('reports a module without an activate function with E_SANDBOX_NO_ACTIVATE', async () => {
    const error = await sandboxes.create(sandboxOptions('no-activate').options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_NO_ACTIVATE' });
    expect((error as Error).message).toContain('does not export an activate function');
  });

  it('reports top-level code that throws with E_SANDBOX_EVALUATE', async () => {
    const error = await sandboxes.create(sandboxOptions('top-level-throws').options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_EVALUATE' });
    expect((error as Error).message).toMatch(/threw while evaluating its top-level code: .*port/);
  });

  it('runs a top-level await that settles in its own microtasks, and refuses one still waiting after evaluation', async () => {
    const { sandbox } = await sandboxes.activated('top-level-await');
    await expect(sandbox.call('demo.rates', 'get', { currency: 'USD' }, context)).resolves.toBe(1.1);
    const error = await sandboxes.create(sandboxOptions('top-level-await-pending').options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_EVALUATE', details: { pendingTopLevelAwait: true } });
    expect((error as Error).message).toContain('a top-level await was still waiting');
    expect((error as Error).message).toContain(fixturePath('top-level-await-pending'));
  });

  it('creates made together (compiled on the isolates\' own threads) load and fail as one made alone does', async () => {
    // Bundles in hotmod build's shape, so that they load as scripts: the path concurrent creates run asynchronously.
    const shaped = (body: string, exported: string) => `${body}\nexport {\n  ${exported}\n};\n`;
    const limits = { activateTimeoutMs: 300 };
    const cases = {
      ok: shaped("var x = 1;\nasync function activate() { return { 'demo.add': { one(i) { return i + x; } } }; }", 'activate'),
      throws: shaped("throw new Error('boom at the top');\nasync function activate() { return {}; }", 'activate'),
      loops: shaped('for (;;) {}\nasync function activate() { return {}; }', 'activate'),
      noActivate: shaped('var y = 2;', 'y'),
    };
    const results = await Promise.allSettled(
      Object.entries(cases).map(([name, code]) => sandboxes.create(sandboxOptions('basic', { code, filename: `/modules/${name}.js`, limits }).options)),
    );
    const [ok, throws, loops, noActivate] = results;
    expect(ok!.status).toBe('fulfilled');
    const sandbox = (ok as PromiseFulfilledResult<Sandbox>).value;
    await sandbox.activate({ config: {}, previousState: undefined });
    await expect(sandbox.call('demo.add', 'one', 41, context)).resolves.toBe(42);
    expect(throws).toMatchObject({ status: 'rejected', reason: { code: 'E_SANDBOX_EVALUATE', message: expect.stringMatching(/boom at the top/) } });
    expect(loops).toMatchObject({ status: 'rejected', reason: { code: 'E_ACTIVATE_TIMEOUT' } });
    expect(noActivate).toMatchObject({ status: 'rejected', reason: { code: 'E_SANDBOX_NO_ACTIVATE' } });
  });

  it('refuses an activate that returns an array with E_SANDBOX_ACTIVATE_INVALID', async () => {
    const sandbox = await sandboxes.create(sandboxOptions('activate-array').options);
    const error = await sandbox.activate({ config: {}, previousState: undefined }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_SANDBOX_ACTIVATE_INVALID' });
    expect((error as Error).message).toContain('activate returned an array, not an object of capability objects');
    expect(sandbox.state).toBe('loaded');
  });

  it('refuses invalid limits and factory options with E_SANDBOX_OPTIONS', async () => {
    const made = sandboxOptions('basic', { limits: { callTimeoutMs: 0 } });
    await expect(sandboxes.create(made.options)).rejects.toMatchObject({ code: 'E_SANDBOX_OPTIONS' });
    expect(() => createIsolateSandboxFactory({ execution: 'parallel' as never })).toThrow(expect.objectContaining({ code: 'E_SANDBOX_OPTIONS' }));
  });

  it('fails activate that throws with E_MODULE_THREW and leaves the sandbox loaded', async () => {
    const made = sandboxOptions('throwing');
    const sandbox = await sandboxes.create(made.options);
    const error = await sandbox.activate({ config: { failActivate: true }, previousState: undefined }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_MODULE_THREW', details: { phase: 'activate' } });
    expect((error as Error).message).toContain('activate refused: missing apiKey');
    expect(sandbox.state).toBe('loaded');
  });
});

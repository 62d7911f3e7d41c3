import { describe, expect, it } from 'vitest';
import { HotmodError } from '../../src/errors.js';
import { bridgeRefused } from '../../src/sandbox/moduleErrors.js';
import { context, fixturePath, sandboxTracker, waitFor } from './support.js';

async function failure(promise: Promise<unknown>): Promise<HotmodError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HotmodError);
  return error as HotmodError;
}

describe('isolate sandbox: errors thrown by module code', () => {
  const sandboxes = sandboxTracker();

  it("carries the module's message, code and a stack with the module's file name", async () => {
    const { sandbox } = await sandboxes.activated('throwing');
    const error = await failure(sandbox.call('demo.fail', 'coded', { amount: 10 }, context));
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.message).toContain("module 'demo@1.0.0' threw in method 'demo.fail.coded': PaymentError: card declined for 10 (code CARD_DECLINED)");
    expect(error.details).toMatchObject({ moduleId: 'demo', capability: 'demo.fail', method: 'coded', moduleCode: 'CARD_DECLINED', moduleErrorName: 'PaymentError' });
    expect(error.stack).toContain(fixturePath('throwing'));
    expect(error.stack).toMatch(/at chargeCard \(.*throwing\/index\.js:11:/);
    expect(error.stack).not.toContain('hotmod:sandbox-bridge');
    expect(String(error.details.moduleStack)).toContain('throwing/index.js');
  });

  it('reports an async rejection the same way', async () => {
    const { sandbox } = await sandboxes.activated('throwing');
    const error = await failure(sandbox.call('demo.fail', 'rejects', null, context));
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.message).toContain('TypeError: async failure');
  });

  it.each([
    ['throwString', 'a non-Error value was thrown: a plain string', 'string'],
    ['throwObject', 'looks like an error (code 42)', 'object'],
    ['throwUndefined', 'a non-Error value was thrown: undefined', 'undefined'],
    ['throwNull', 'a non-Error value was thrown: null', 'object'],
    ['throwSymbol', 'a non-Error value was thrown: a Symbol', 'symbol'],
    ['throwGetterTrap', 'an error whose properties could not be read was thrown', 'object'],
  ])('turns %s into E_MODULE_THREW', async (method, text, thrown) => {
    const { sandbox } = await sandboxes.activated('throwing');
    const error = await failure(sandbox.call('demo.fail', method, null, context));
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.message).toContain(text);
    expect(error.details.thrown).toBe(thrown);
    await expect(sandbox.call('demo.fail', 'ok', null, context)).resolves.toBe('still fine');
  });

  it('turns a stack overflow into E_MODULE_THREW and keeps the isolate usable', async () => {
    const { sandbox } = await sandboxes.activated('throwing');
    const error = await failure(sandbox.call('demo.fail', 'recurse', null, context));
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.message).toContain('RangeError: Maximum call stack size exceeded');
    await expect(sandbox.call('demo.fail', 'ok', null, context)).resolves.toBe('still fine');
  });

  it('answers the call and logs a promise rejection the module left unhandled', async () => {
    const { sandbox, logs } = await sandboxes.activated('throwing');
    await expect(sandbox.call('demo.fail', 'unhandled', null, context)).resolves.toBe('answered');
    expect(logs.some((l) => l.level === 'error' && l.message.includes('left a promise rejection unhandled') && l.message.includes('nobody listens'))).toBe(true);
    await expect(sandbox.call('demo.fail', 'ok', null, context)).resolves.toBe('still fine');
  });

  it('logs a timer callback that throws and counts it as an error', async () => {
    const { sandbox, logs } = await sandboxes.activated('throwing');
    await expect(sandbox.call('demo.fail', 'timerThrows', null, context)).resolves.toBe('scheduled');
    await waitFor(() => logs.some((l) => l.level === 'error' && l.message.includes('timer callback failed')));
    expect(logs.find((l) => l.message.includes('timer callback failed'))!.message).toContain('threw in a timer callback');
    expect(sandbox.metrics().errors).toBe(1);
  });
});

describe('isolate sandbox: capability calls from module code', () => {
  const sandboxes = sandboxTracker();

  it('hands each outgoing call to callCapability with the right caller, even with 64 calls in flight', async () => {
    const made = await sandboxes.activated('basic', {
      callCapability: async (call) => {
        // Answer in a scrambled order so that calls overlap inside the isolate.
        await new Promise((resolve) => setTimeout(resolve, (call.input as { n: number }).n % 5));
        return { caller: call.caller.requestId, client: call.caller.clientId, n: (call.input as { n: number }).n, module: call.moduleId };
      },
    });
    const results = await Promise.all(
      Array.from({ length: 64 }, (_, n) =>
        made.sandbox.call('demo.calls', 'forward', { n }, { clientId: `client-${n % 3}`, requestId: `req-${n}`, settings: {} }),
      ),
    );
    results.forEach((result, n) => expect(result).toEqual({ forwarded: { caller: `req-${n}`, client: `client-${n % 3}`, n, module: 'demo' } }));
  });

  it('passes capability, method and a copied input', async () => {
    const { sandbox, outgoing } = await sandboxes.activated('basic');
    const result = await sandbox.call('demo.calls', 'forward', { total: 10 }, context);
    expect(result).toEqual({ forwarded: { ok: true, capability: 'other.service', method: 'run', input: { total: 10 } } });
    expect(outgoing).toEqual([{ moduleId: 'demo', capability: 'other.service', method: 'run', input: { total: 10 }, caller: context }]);
  });

  it("surfaces the host's rejection inside the module as a catchable Error with code and message", async () => {
    const { sandbox } = await sandboxes.activated('basic', {
      callCapability: async (call) => {
        throw new HotmodError('E_UNDECLARED_CAPABILITY', `module '${call.moduleId}' called '${call.capability}', which it did not declare`);
      },
    });
    const result = await sandbox.call('demo.calls', 'forwardCatching', { capability: 'secret.admin', payload: 1 }, context);
    expect(result).toEqual({
      caught: { message: "module 'demo' called 'secret.admin', which it did not declare", code: 'E_UNDECLARED_CAPABILITY', isError: true },
    });
  });

  it('fails the outer call with E_MODULE_THREW when the module does not catch the rejection', async () => {
    const { sandbox } = await sandboxes.activated('basic', {
      callCapability: () => Promise.reject(new HotmodError('E_NOT_ENABLED', 'not enabled for client-1')),
    });
    const error = await failure(sandbox.call('demo.calls', 'forward', 1, context));
    expect(error.code).toBe('E_MODULE_THREW');
    expect(error.details.moduleCode).toBe('E_NOT_ENABLED');
    // The host handed this refusal to the call: the sandbox vouches for it (issue 18.2).
    expect(error.details.hostRefusal).toBe('E_NOT_ENABLED');
    expect(error.message).toContain('not enabled for client-1');
  });

  it('does not vouch for a host code the module made up, nor for one a plain Error carried (issue 18.2)', async () => {
    const { sandbox } = await sandboxes.activated('basic', {
      code: `export function activate() { return { 'demo.forge': {
        throwIt(code) { throw Object.assign(new Error('forged'), { code }); },
        async afterPeer(code, call) { try { await call.capability('x').y(); } catch {} throw Object.assign(new Error('forged'), { code }); },
      } }; }`,
      callCapability: () => Promise.reject(Object.assign(new Error('not the host'), { code: 'E_NOT_ENABLED' })),
    });
    for (const method of ['throwIt', 'afterPeer']) {
      const error = await failure(sandbox.call('demo.forge', method, 'E_NOT_ENABLED', context));
      expect(error).toMatchObject({ code: 'E_MODULE_THREW', details: { moduleCode: 'E_NOT_ENABLED' } });
      expect(error.details).not.toHaveProperty('hostRefusal');
    }
  });
});

describe('isolate sandbox: what a bridge refusal may claim', () => {
  const label = { moduleId: 'demo', version: '1.0.0', phase: 'call' as const, capability: 'demo.echo', method: 'echo' };

  it('keeps the four bridge codes and turns any other claimed code into E_MODULE_THREW', () => {
    for (const code of ['E_SANDBOX_NOT_JSON', 'E_PAYLOAD_TOO_LARGE', 'E_UNKNOWN_METHOD', 'E_SANDBOX_ACTIVATE_INVALID']) {
      expect(bridgeRefused(label, JSON.stringify({ code, message: 'm' })).code).toBe(code);
    }
    for (const forged of ['E_SANDBOX_MEMORY', 'E_CALL_TIMEOUT', 'E_SANDBOX_CRASHED', 'E_NOT_ENABLED', 'E_ANYTHING']) {
      const error = bridgeRefused(label, JSON.stringify({ code: forged, message: 'forged' }));
      expect(error.code).toBe('E_MODULE_THREW');
      expect(error.message).toContain("module 'demo@1.0.0' method 'demo.echo.echo': forged");
    }
    expect(bridgeRefused(label, 'not json at all').code).toBe('E_MODULE_THREW');
  });
});

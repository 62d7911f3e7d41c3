/**
 * Issue 18.1: capability-call loops must not hold the host's event loop. Each case runs a
 * host (over HTTP) in a child process with a kill timer (tests/fixtures/loops/loop-child.ts):
 * before the fix these froze the process, and a regression fails here instead of hanging.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScript, type Line } from './support.js';

const script = path.resolve(import.meta.dirname, '../fixtures/loops/loop-child.ts');

async function outcome(isolation: 'isolate' | 'process', scenario: string, budgetMs: number): Promise<Line> {
  const lines = await runScript(script, [isolation, scenario], budgetMs);
  expect(lines.find((l) => l.event === 'after'), 'the host serves once the loop is over').toMatchObject({ status: 200 });
  return lines.find((l) => l.event === 'outcome')!;
}

/** p99 under the loop: under 50 ms, or (this machine is shared and often loaded) not much over the idle p99. */
function expectResponsive(what: string, p99Ms: number, idleP99Ms: number): void {
  expect(p99Ms, `${what}: p99 ${p99Ms} ms under the loop, ${idleP99Ms} ms idle`).toBeLessThan(Math.max(50, idleP99Ms * 3));
}

for (const isolation of ['isolate', 'process'] as const) {
  describe(`capability-call loops (${isolation} isolation)`, () => {
    it('a call that calls a capability in a loop ends at its deadline (callTimeoutMs 3000), and the host answers other callers and /health meanwhile', async () => {
      const line = await outcome(isolation, 'deadline', 60_000);
      expect(line).toMatchObject({ ok: false, code: 'E_CALL_TIMEOUT' });
      expect(line.elapsedMs as number).toBeGreaterThan(2900);
      expect(line.elapsedMs as number).toBeLessThan(8000);
      expect(line.samples as number).toBeGreaterThan(3);
      const idle = line.idle as { p99HealthMs: number; p99InvokeMs: number };
      expectResponsive(`${isolation} /health`, line.p99HealthMs as number, idle.p99HealthMs);
      expectResponsive(`${isolation} invoke`, line.p99InvokeMs as number, idle.p99InvokeMs);
    }, 70_000);

    it('the same loop under the default maxCallHops ends with E_CALL_CHAIN_LIMIT naming the chain', async () => {
      const line = await outcome(isolation, 'hops', 90_000);
      expect(line).toMatchObject({ ok: false, code: 'E_CALL_CHAIN_LIMIT', details: { limit: 'hops', maxCallHops: 10_000, chain: ['looper'] } });
      expect(line.message).toMatch(/call chain looper → 'ping\.api\.ok' made more than maxCallHops 10000/);
    }, 100_000);

    it('two modules calling each other without end fail with E_CALL_CHAIN_LIMIT (depth), not a stall', async () => {
      const line = await outcome(isolation, 'recursion', 60_000);
      expect(line).toMatchObject({ ok: false, code: 'E_CALL_CHAIN_LIMIT', details: { limit: 'depth', maxCallDepth: 16 } });
      expect(line.message).toMatch(/call chain ping → pong → ping → pong .* is 17 hops deep, over maxCallDepth 16/);
      expect(line.elapsedMs as number).toBeLessThan(5000);
    }, 70_000);
  });
}

/**
 * Out-of-memory cases run in a child process the test can kill: a single huge
 * allocation may leave a process unable to exit (isolated-vm 6.2).
 */
import { describe, expect, it } from 'vitest';
import { runChild } from './support.js';

describe('isolate sandbox: out of memory (in a child process)', () => {
  for (const execution of ['sync', 'async'] as const) {
    it(`gradual growth fails the call with E_SANDBOX_MEMORY, disposes the isolate and tells the runtime (${execution})`, async () => {
      const lines = await runChild(execution, 'grow', 60_000);
      const hog = lines.find((l) => l.event === 'hog')!;
      expect(hog).toMatchObject({ ok: false, code: 'E_SANDBOX_MEMORY', state: 'disposed', fatal: ['E_SANDBOX_MEMORY'], later: 'E_SANDBOX_MEMORY' });
      expect(hog.message).toContain('ran out of memory (limit 16 MB)');
      expect(lines.find((l) => l.event === 'healthy')).toMatchObject({ value: { waited: 5 } });
    }, 70_000);
  }

  it('a single huge allocation fails the call with E_SANDBOX_MEMORY (sync: after V8 gives up), and other modules keep serving', async () => {
    const lines = await runChild('sync', 'huge', 120_000);
    const hog = lines.find((l) => l.event === 'hog')!;
    expect(hog).toMatchObject({ ok: false, code: 'E_SANDBOX_MEMORY', state: 'disposed', fatal: ['E_SANDBOX_MEMORY'] });
    expect(lines.find((l) => l.event === 'healthy')).toMatchObject({ value: { waited: 5 } });
  }, 130_000);
});

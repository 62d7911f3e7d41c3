import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from './helpers.js';

describe('crash and restart', () => {
  it('restarts a module whose isolate ran out of memory (in a child process), with an event each time', () => {
    const child = spawnSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(FIXTURES, 'crashHost.ts')], {
      cwd: path.resolve(FIXTURES, '../../..'),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
      grow: { ok: boolean; code?: string };
      events: { type: string; code?: string; willRestart?: boolean; attempt?: number; delayMs?: number; restart?: number; reason?: string }[];
      after: unknown;
      state: string;
      restarts: number;
    };
    expect(result.grow).toMatchObject({ ok: false, code: 'E_SANDBOX_MEMORY' });
    expect(result.events[0]).toEqual({ type: 'activated', restart: 0 });
    expect(result.events[1]).toMatchObject({ type: 'failed', code: 'E_SANDBOX_MEMORY', willRestart: true, attempt: 1, delayMs: 50 });
    expect(result.events[1]!.reason).toMatch(/module 'hog@1.0.0' ran out of memory/);
    expect(result.events[2]).toEqual({ type: 'activated', restart: 1 });
    expect(result.after).toBe('pong');
    expect(result).toMatchObject({ state: 'active', restarts: 1 });
  });
});

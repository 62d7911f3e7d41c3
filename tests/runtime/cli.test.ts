import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, copyFixture, rewriteModule, waitFor } from './helpers.js';

const ROOT = path.resolve(FIXTURES, '../../..');

function run(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  // The CLI's main() in a child with the flags bin/hotmod.js would add: a crash or a signal stays there.
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', path.join(FIXTURES, 'cliRunner.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, HOTMOD_LOG_LEVEL: 'silent' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, out: () => out, exit };
}

describe('hotmod start / dev', () => {
  it('start serves until SIGTERM, then stops cleanly with exit code 0', async () => {
    const p = run(['start', '--modules', path.join(FIXTURES, 'drain'), '--store', 'memory', '--json']);
    try {
      await waitFor(() => p.out().includes('"event": "started"'), 'the started line', 30_000);
      expect(p.out()).toMatch(/"id": "slow"[\s\S]*"state": "active"/);
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
      expect(p.out()).toMatch(/"event": "stopped"/);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  it('dev prints one line per event when stdout is not a terminal, swaps an edit, and prints a diagnostic for a broken one', async () => {
    const modulesDir = await copyFixture('swap');
    const p = run(['dev', '--modules', modulesDir, '--store', 'memory']);
    try {
      await waitFor(() => p.out().includes('hotmod dev: watching'), 'the watching line', 30_000);
      await rewriteModule(path.join(modulesDir, 'svc'), { version: '1.1.0' });
      await waitFor(() => /swapped svc 1\.0\.0 -> 1\.1\.0/.test(p.out()), 'the swapped line', 30_000);
      // A broken edit prints a diagnostic; 1.1.0 serves on.
      await rewriteModule(path.join(modulesDir, 'svc'), { raw: '{ "name": "@fixtures/svc", "version": "1.2.0", ' });
      await waitFor(() => /problem in svc: .*JSON.* — the running version serves on/.test(p.out()), 'the diagnostic line', 30_000);
      expect(p.out()).not.toMatch(/swapped svc 1\.1\.0/);
      p.child.kill('SIGINT');
      expect(await p.exit).toBe(0);
      expect(p.out()).toMatch(/hotmod: stopped/);
    } finally {
      p.child.kill('SIGKILL');
    }
  });

  // A real terminal: util-linux `script` runs the CLI on a pseudo-terminal; Ctrl-C is typed into it.
  it.skipIf(!existsSync('/usr/bin/script'))('dev on a terminal redraws a live table of modules, states and swaps, and stops on Ctrl-C (skipped where util-linux script, the pty runner, is missing)', async () => {
    const modulesDir = await copyFixture('swap');
    const cmd = [process.execPath, '--no-node-snapshot', '--import', 'tsx', path.join(FIXTURES, 'cliRunner.ts'), 'dev', '--modules', modulesDir, '--store', 'memory']
      .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
      .join(' ');
    // `exec`: the CLI itself is the terminal's foreground process. Without it a shell that stays
    // as parent (dash, CI's /bin/sh) also gets the Ctrl-C and re-raises it after the CLI exits 0.
    const child = spawn('script', ['-qfec', `exec ${cmd}`, '/dev/null'], {
      cwd: ROOT,
      env: { ...process.env, HOTMOD_LOG_LEVEL: 'silent', TERM: 'xterm', SHELL: '/bin/sh' },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => out.includes('\x1b[2J') && /svc\s+1\.0\.0\s+active/.test(out), 'the first drawing of the table', 30_000);
      expect(out).toMatch(/MODULE\s+VERSION\s+STATE\s+CALLS\s+ERRORS/);
      const drawings = out.split('\x1b[2J').length;
      await rewriteModule(path.join(modulesDir, 'svc'), { version: '1.1.0' });
      // Redrawn in place: the table shows the new version and the recent events list the swap.
      await waitFor(() => /svc\s+1\.1\.0\s+active/.test(out.slice(out.lastIndexOf('\x1b[2J'))) && /swapped svc 1\.0\.0 -> 1\.1\.0/.test(out), 'a redraw after the swap', 30_000);
      expect(out.split('\x1b[2J').length).toBeGreaterThan(drawings);
      child.stdin.write('\x03');
      expect(await exit).toBe(0);
      expect(out).toMatch(/stopped/);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('start with bad usage exits 2', async () => {
    const p = run(['start', 'extra-arg']);
    expect(await p.exit).toBe(2);
    expect(p.out()).toMatch(/unexpected argument 'extra-arg'/);
  });
});

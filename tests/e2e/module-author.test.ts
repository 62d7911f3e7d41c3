/**
 * The module-author walkthrough (examples/module-author) run as its README says, as a
 * child process: the example server with --watch, `hotmod new greeter`, calls over HTTP,
 * an edit + version bump swapped in, a broken edit that leaves the version serving, and
 * Ctrl-C. The script checks every step itself and exits non-zero when one does not do
 * what the README shows; here we also check that each step was reached.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const script = path.join(root, 'examples/module-author/walkthrough.ts');

function runWalkthrough(boundMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', script], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    // A bound so the test run never hangs; the script kills its server in `finally`.
    const timer = setTimeout(() => child.kill('SIGINT'), boundMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

describe('examples/module-author walkthrough', () => {
  it('runs from `hotmod new` to a new version swapped into the running server, as its README shows', async () => {
    const run = await runWalkthrough(170_000);
    expect(run.code, run.output).toBe(0);
    const out = run.output;
    expect(out).toMatch(/created modules\/greeter\/ \(module 'greeter', provides greeter\.api 1\.0\.0\)/);
    expect(out).toMatch(/server: \S+ activated greeter@1\.0\.0/);
    expect(out).toContain('200 {"result":{"message":"Hello, Ada!"');
    expect(out).toMatch(/^403 \{"error":\{"code":"E_NOT_ENABLED"/m);
    expect(out).toMatch(/server: \S+ swapped greeter 1\.0\.0 -> 1\.1\.0 \(stateful/);
    expect(out).toMatch(/"message":"Hi there, Ada!","module":"greeter","version":"1\.1\.0".*"greetings":3/);
    expect(out).toMatch(/greeter not swapped, the running version serves on: E_BUILD_FAILED/);
    expect(out).toMatch(/server: stopped \(exit code 0\)/);
    expect(out).toMatch(/^walkthrough OK$/m);
  }, 180_000);
});

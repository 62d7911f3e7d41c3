import { execFile, execFileSync } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'tests/fixtures/registry');
const modules = path.join(root, 'modules');

async function hotmod(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (text) => void out.push(text), err: (text) => void err.push(text), isTTY: false };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('hotmod check', () => {
  it('passes the demo modules', async () => {
    const r = await hotmod('check', modules);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/5 packages checked: 5 ok, 0 refused, 0 errors, 0 warnings/);
    for (const key of ['accounts@3.1.0', 'payments@2.1.0', 'billing@1.4.0', 'notifications@1.0.0', 'analytics@1.2.0']) expect(r.out).toContain(key);
  });

  it('checks one package folder', async () => {
    const r = await hotmod('check', path.join(modules, 'billing'));
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok\s+billing@1\.4\.0/);
    expect(r.out).toMatch(/1 package checked: 1 ok/);
  });

  it('lists each diagnostic with file, JSON path and fix, and exits 1', async () => {
    const r = await hotmod('check', path.join(fixtures, 'manifest-errors', 'range'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('error E_MANIFEST_RANGE');
    expect(r.err).toContain(path.join('manifest-errors', 'range', 'package.json'));
    expect(r.err).toContain('$.hotmod.requires["payments.charge"]');
    expect(r.err).toMatch(/fix: Write a semver range/);
  });

  it('reports every bad package of a modules directory as JSON', async () => {
    const r = await hotmod('check', path.join(fixtures, 'manifest-errors'), '--json');
    expect(r.code).toBe(1);
    const report = JSON.parse(r.out);
    expect(report.ok).toBe(false);
    expect(report.kind).toBe('modules-dir');
    expect(report.packages.map((p: { key: string }) => p.key)).toEqual(['good@1.0.0', 'no-engines@1.0.0']);
    expect(report.diagnostics.some((d: { code: string; jsonPath: string }) => d.code === 'E_MANIFEST_UNKNOWN_FIELD' && d.jsonPath === '$.hotmod.requries')).toBe(true);
  });

  it('is a usage error without a directory (exit 2), a failure for a missing one (exit 1)', async () => {
    const usage = await hotmod('check');
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/missing the directory to check/);
    const missing = await hotmod('check', path.join(fixtures, 'does-not-exist'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/E_CATALOG_DIR_MISSING/);
  });
});

describe('hotmod ls', () => {
  it('lists id, version, activation, provides and requires of the demo modules', async () => {
    const r = await hotmod('ls', '--modules', modules);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ID\s+VERSION\s+ACTIVATION\s+DEFAULT\s+PROVIDES\s+REQUIRES/);
    expect(r.out).toMatch(/billing\s+1\.4\.0\s+eager\s+yes\s+billing\.invoices 1\.4\.0\s+payments\.charge \^2\.1\.0, analytics\.track \^1\.0\.0 \(optional\)/);
    expect(r.out).toMatch(/analytics\s+1\.2\.0\s+lazy/);
    expect(r.out).toMatch(/notifications\s+1\.0\.0\s+eager\s+no/);
    expect(r.err).toBe('');
  });

  it('prints every version and the diagnostics of bad packages; --json for scripts', async () => {
    const r = await hotmod('ls', '--modules', path.join(fixtures, 'manifest-errors'), '--json');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.packages.map((p: { key: string }) => p.key)).toEqual(['good@1.0.0', 'no-engines@1.0.0']);
    expect(json.diagnostics.length).toBeGreaterThan(20);
    const human = await hotmod('ls', '--modules', path.join(fixtures, 'versions'));
    expect(human.out.match(/^kv\s/gm)?.length).toBe(3);
  });

  it('rejects an unknown option with exit 2', async () => {
    const r = await hotmod('ls', '--modulez', 'x');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown option --modulez/);
  });
});

describe('hotmod resolve', () => {
  it('prints the demo plan in levels with its wiring', async () => {
    const r = await hotmod('resolve', '--modules', modules);
    expect(r.code).toBe(0);
    expect(r.out).toContain('plan: 5 modules in 3 levels');
    expect(r.out).toContain('level 1: accounts 3.1.0, analytics 1.2.0, notifications 1.0.0');
    expect(r.out).toContain('level 2: payments 2.1.0');
    expect(r.out).toContain('level 3: billing 1.4.0');
    expect(r.out).toContain('billing: payments.charge -> payments, analytics.track -> analytics (optional)');
  });

  it('resolves only the requested ids and what they need, as JSON', async () => {
    const r = await hotmod('resolve', 'payments', '--modules', modules, '--json');
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.out);
    expect(plan.levels).toEqual([['accounts'], ['payments']]);
    expect(plan.modules[1]).toMatchObject({ id: 'payments', version: '2.1.0', bindings: { 'accounts.users': 'accounts' }, dependsOn: ['accounts'] });
  });

  it('explains a conflict and exits 1', async () => {
    const r = await hotmod('resolve', '--modules', path.join(fixtures, 'conflict'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('error E_RESOLVE_CONFLICT');
    expect(r.err).toContain('billing 1.4.0 requires payments.charge ^2.1.0; payments 1.9.0 provides payments.charge 1.9.0 and payments 2.0.0 provides 2.0.0, neither satisfies ^2.1.0');
    expect(r.err).toMatch(/why:\n {2}- billing 1\.4\.0 requires/);
  });

  it('explains a cycle, a missing capability and an engines mismatch', async () => {
    const cycle = await hotmod('resolve', '--modules', path.join(fixtures, 'cycle'));
    expect(cycle.code).toBe(1);
    expect(cycle.err).toMatch(/E_RESOLVE_CYCLE.*a -> b -> c -> a/);
    const missing = await hotmod('resolve', 'mailer', '--modules', path.join(fixtures, 'missing'), '--json');
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.out).error).toMatchObject({ code: 'E_RESOLVE_MISSING', details: { moduleId: 'mailer' } });
    const engine = await hotmod('resolve', 'future', '--modules', path.join(fixtures, 'engines'));
    expect(engine.code).toBe(1);
    expect(engine.err).toMatch(/E_RESOLVE_ENGINE.*needs hotmod >=9\.0\.0, and this host is hotmod 1\.0\.0/);
  });

  it('lists every unresolvable module with its own chain', async () => {
    const r = await hotmod('resolve', '--modules', path.join(fixtures, 'missing'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^error E_RESOLVE_MISSING: cannot resolve 3 modules: crm, mailer, signup$/m);
    expect(r.err).toMatch(/crm \(E_RESOLVE_MISSING\):\n {2}- crm 1\.2\.0 depends on contacts/);
    expect(r.err).toMatch(/signup \(E_RESOLVE_MISSING\):\n {2}- signup 1\.0\.0 depends on mailer \^1\.0\.0, but mailer cannot be resolved\n {2}- mailer 1\.0\.0 requires mail\.send/);
    expect(r.err).toMatch(/ {2}fix: add the missing module/);
  });

  it('notes packages left out because of manifest errors', async () => {
    const r = await hotmod('resolve', 'good', '--modules', path.join(fixtures, 'manifest-errors'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/note: 23 packages were left out because of manifest errors/);
  });
});

describe('the real bin', () => {
  it('runs hotmod resolve and hotmod check as a child process with exit codes', async () => {
    const run = promisify(execFile);
    const bin = path.join(root, 'bin/hotmod.js');
    const ok = await run(process.execPath, [bin, 'resolve', '--modules', modules, '--json'], { cwd: root, timeout: 60_000 });
    expect(JSON.parse(ok.stdout).levels).toEqual([['accounts', 'analytics', 'notifications'], ['payments'], ['billing']]);
    const failed = await run(process.execPath, [bin, 'check', path.join(fixtures, 'manifest-errors', 'enum')], { cwd: root, timeout: 60_000 }).then(
      () => {
        throw new Error('hotmod check should have exited 1');
      },
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('E_MANIFEST_ENUM');
  });

  // The machine's own Node (20 here, outside npm's PATH) shows the refusal for real.
  const systemNode = ['/usr/bin/node', '/usr/local/bin/node'].find((p) => {
    try {
      const major = Number(execFileSync(p, ['-p', 'process.versions.node']).toString().split('.')[0]);
      return major < 22;
    } catch {
      return false;
    }
  });
  it.skipIf(systemNode === undefined)('refuses to start on a Node older than 22.12 with what to do (SKIPPED when no older Node is installed)', async () => {
    const run = promisify(execFile);
    const bin = path.join(root, 'bin/hotmod.js');
    const failed = await run(systemNode!, [bin, 'ls'], { cwd: root, timeout: 30_000 }).then(
      () => {
        throw new Error('hotmod should refuse an old Node');
      },
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/hotmod needs Node\.js 22\.12\.0 or newer/);
    expect(failed.stderr).toContain('npm start, npx hotmod');
  });
});

/**
 * The fleet view across host processes (docs/fleet.md "Fleet view"): every host's
 * heartbeat row, what it serves, stale hosts marked; `host.fleet()` and `hotmod fleet`
 * give the same answer. Real PostgreSQL, real child processes.
 */
import { describe, expect, it } from 'vitest';
import type { FleetView } from '../../src/index.js';
import { writeModule } from './support/modules.js';
import { eventually, fleetTestContext, PG_URL } from './support/fleetTest.js';

describe.runIf(PG_URL)('the fleet view', () => {
  const ctx = fleetTestContext();

  it('lists both hosts with what they serve; a kill -9ed host turns stale, a cleanly stopped one leaves', { timeout: 240_000 }, async () => {
    await ctx.cli(['publish', await writeModule(ctx.root, { id: 'greeter', version: '1.0.0' }), '--store', ctx.url]);
    const beat = { HEARTBEAT_MS: '300' };
    const [a, b] = await Promise.all([ctx.startHost('host-a', beat), ctx.startHost('host-b', beat)]);

    const seen = await a.request<FleetView>('fleet');
    expect(seen.hosts.map((h) => [h.hostId, h.stale, h.self])).toEqual([
      ['host-a', false, true],
      ['host-b', false, false],
    ]);
    expect(seen.live).toBe(2);
    const hostB = seen.hosts[1]!;
    expect(hostB.pid).toBe(b.child.pid);
    expect(hostB.modules).toEqual({ greeter: { versions: ['1.0.0'], rolloutStage: null, state: 'active' } });
    expect(hostB.heartbeatMs).toBe(300);

    // A new version reaches the view with the next heartbeat.
    await ctx.cli(['publish', await writeModule(ctx.root, { id: 'greeter', version: '1.1.0' }), '--store', ctx.url]);
    await eventually(async () => {
      const view = await b.request<FleetView>('fleet');
      return view.hosts.every((h) => h.modules.greeter?.versions[0] === '1.1.0');
    }, 'both heartbeats to say 1.1.0');

    // kill -9: no stop, the row stays and ages past 3 heartbeats.
    await b.kill();
    const stale = await eventually(async () => {
      const view = await a.request<FleetView>('fleet');
      return view.hosts.find((h) => h.hostId === 'host-b' && h.stale) ? view : undefined;
    }, 'host-b to turn stale');
    expect(stale.hosts.find((h) => h.hostId === 'host-a')).toMatchObject({ stale: false, self: true });
    expect(stale).toMatchObject({ live: 1, stale: 1, staleAfter: 3 });

    // The CLI reads the same rows.
    const json = await ctx.cli(['fleet', '--store', ctx.url, '--json', '--artifacts']);
    expect(json.code, json.err).toBe(0);
    const cli = JSON.parse(json.out) as FleetView & { artifacts: { id: string; version: string }[] };
    expect(cli.hosts.map((h) => [h.hostId, h.stale])).toEqual([
      ['host-a', false],
      ['host-b', true],
    ]);
    expect(cli.artifacts.map((x) => `${x.id}@${x.version}`)).toEqual(['greeter@1.0.0', 'greeter@1.1.0']);
    const human = await ctx.cli(['fleet', '--store', ctx.url]);
    expect(human.out).toMatch(/1 live, 1 stale/);
    expect(human.out).toMatch(/^host-a\s+live\s+\d+\s+.*greeter@1\.1\.0/m);
    expect(human.out).toMatch(/^host-b\s+STALE\s+/m);
    // A larger tolerance counts host-b as live again (it is silent for less than 1000 heartbeats).
    const lenient = JSON.parse((await ctx.cli(['fleet', '--store', ctx.url, '--json', '--stale-after', '1000'])).out) as FleetView;
    expect(lenient.stale).toBe(0);

    // A clean stop deletes the host's row; --prune forgets the stale one.
    await a.stop();
    const after = JSON.parse((await ctx.cli(['fleet', '--store', ctx.url, '--json'])).out) as FleetView;
    expect(after.hosts.map((h) => h.hostId)).toEqual(['host-b']);
    const pruned = JSON.parse((await ctx.cli(['fleet', '--store', ctx.url, '--json', '--prune'])).out) as FleetView & { pruned: string[] };
    expect(pruned.pruned).toEqual(['host-b']);
    expect(pruned.hosts).toEqual([]);
  });
});

if (!PG_URL)
  describe('the fleet view', () => {
    it.skip('SKIPPED: set HOTMOD_TEST_PG_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run the PostgreSQL fleet tests', () => {});
  });

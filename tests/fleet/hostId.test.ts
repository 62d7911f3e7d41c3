/** One host id (docs/fleet.md "One host id"): fleet.hostId and rollouts.hostId name the same host. */
import { describe, expect, it } from 'vitest';
import { createHost } from '../../src/index.js';
import { hostIdOf } from '../../src/runtime/hostOptions.js';

describe('the host id of fleet and rollouts', () => {
  it('either option sets it; neither: hostname:pid', () => {
    expect(hostIdOf({ modulesDir: 'm', fleet: { hostId: 'web-1' }, rollouts: true })).toBe('web-1');
    expect(hostIdOf({ modulesDir: 'm', fleet: true, rollouts: { hostId: 'web-2' } })).toBe('web-2');
    expect(hostIdOf({ modulesDir: 'm', fleet: { hostId: 'web-3' }, rollouts: { hostId: 'web-3' } })).toBe('web-3');
    expect(hostIdOf({ modulesDir: 'm' })).toMatch(new RegExp(`:${process.pid}$`));
  });

  it('both set differently: E_HOST_OPTIONS_INVALID before anything starts', async () => {
    const error = await createHost({ modulesDir: 'm', store: 'memory', fleet: { hostId: 'a' }, rollouts: { hostId: 'b' } }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_HOST_OPTIONS_INVALID', details: { fleetHostId: 'a', rolloutsHostId: 'b' } });
    expect((error as Error).message).toMatch(/one id in heartbeats and health rows/);
  });
});

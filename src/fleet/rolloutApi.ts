/**
 * The operations on rollouts, over the store alone: what `hotmod rollout` runs against the
 * database, and what `host.rollouts` runs after its own checks (the host knows which
 * versions it has and whether the module is stateful). Every change is a compare-and-set
 * (rolloutStore.ts); hosts hear of it by NOTIFY and apply it.
 */
import type { Store } from '../legacy-bridge/index.js';
import { normalizeRolloutOptions, type RolloutStartOptions } from './rolloutPlan.js';
import { ensureRolloutSchema } from './rolloutSchema.js';
import { describeRollout, type RolloutStatus } from './rolloutStatus.js';
import { createRollout, databaseNow, findRollout, listRollouts, operateRollout } from './rolloutStore.js';

export interface RolloutApi {
  /** Starts a rollout (pending until a host begins it, at its next tick). */
  start(options: RolloutStartOptions & { fromVersion?: string }): Promise<RolloutStatus>;
  /** One rollout, by id or by module id (its live rollout, else its newest). */
  status(idOrModule: string): Promise<RolloutStatus>;
  /** Every rollout, newest first. */
  list(): Promise<RolloutStatus[]>;
  /** The next stage now, without waiting for the bake (from the last stage: the new version replaces the old). */
  promote(idOrModule: string): Promise<RolloutStatus>;
  /** Holds the stage: no advance (an over-budget version is still rolled back). */
  pause(idOrModule: string): Promise<RolloutStatus>;
  /** Continues a paused rollout; the stage's bake starts again. */
  resume(idOrModule: string): Promise<RolloutStatus>;
  /** Ends the rollout: every client goes back to the old version, the new one unloads. */
  abort(idOrModule: string, reason?: string): Promise<RolloutStatus>;
}

export function createRolloutApi(store: Store, by: string | undefined, afterChange: () => Promise<void> = async () => {}): RolloutApi {
  let schema: Promise<void> | undefined;
  const ready = () => (schema ??= ensureRolloutSchema(store));
  const describe = async (idOrModule: string) => {
    const record = await findRollout(store, idOrModule);
    return describeRollout(store, record, await databaseNow(store));
  };
  const operate = async (idOrModule: string, event: Parameters<typeof operateRollout>[2]) => {
    await ready();
    const record = await operateRollout(store, idOrModule, event, by);
    await afterChange();
    return describe(record.id);
  };
  return {
    async start(options) {
      await ready();
      const o = normalizeRolloutOptions(options);
      const record = await createRollout(store, {
        moduleId: o.moduleId,
        ...(options.fromVersion !== undefined ? { fromVersion: options.fromVersion } : {}),
        toVersion: o.toVersion,
        stages: o.stages,
        bakeMs: o.bakeMs,
        budget: o.budget,
        clients: o.clients,
        allowStateful: o.allowStateful,
        ...(by !== undefined ? { createdBy: by } : {}),
      });
      await afterChange();
      return describe(record.id);
    },
    async status(idOrModule) {
      await ready();
      return describe(idOrModule);
    },
    async list() {
      await ready();
      const { records, nowMs } = await listRollouts(store);
      return Promise.all(records.map((r) => describeRollout(store, r, nowMs)));
    },
    promote: (id) => operate(id, (_r, now) => ({ type: 'advance', at: now })),
    pause: (id) => operate(id, () => ({ type: 'pause' })),
    resume: (id) => operate(id, (_r, now) => ({ type: 'resume', at: now })),
    abort: (id, reason) => operate(id, () => ({ type: 'abort', reason: reason ?? `aborted by an operator${by ? ` (${by})` : ''}` })),
  };
}

/**
 * A rollout's life as a state machine (the model: src/runtime/moduleState.ts). The state is
 * a tagged union; every change is an event checked against `ROLLOUT_TRANSITIONS`, and an
 * event the table does not list for the current state is refused with E_ROLLOUT_STATE
 * (an operator asking for something that cannot happen now, e.g. pausing a finished rollout).
 *
 *   pending ──begin──► running(0) ──advance──► running(1) … running(last) ──advance──► promoting ──finish──► completed
 *                        │   ▲                                                   (old version drains and unloads)
 *                  pause │   │ resume (the stage's bake clock starts again)
 *                        ▼   │
 *                       paused ──advance (operator promote)──► the next stage
 *   pending | running | paused ──abort──► aborted          (an operator)
 *   pending | running | paused ──rollback──► rolled-back   (over budget: the health decision)
 *
 * `running` is the stage's bake: its clock (`since`, the database's time) starts when the stage
 * does. `nextStep` is the automatic decision each host computes from the record and the fleet's
 * health; the rollout store applies it with a compare-and-set on the record's revision, so
 * exactly one host's decision lands (rolloutStore.ts).
 */
import { HotmodError } from '../errors.js';
import { FleetErrorCode } from './errors.js';
import type { HealthVerdict } from './healthDecision.js';

export type RolloutState =
  | { readonly name: 'pending' }
  | { readonly name: 'running'; readonly stage: number; readonly since: number }
  | { readonly name: 'paused'; readonly stage: number }
  | { readonly name: 'promoting' }
  | { readonly name: 'completed' }
  | { readonly name: 'aborted'; readonly reason: string }
  | { readonly name: 'rolled-back'; readonly reason: string };

export type RolloutStateName = RolloutState['name'];

export type RolloutEvent =
  | { readonly type: 'begin'; readonly at: number }
  | { readonly type: 'advance'; readonly at: number }
  | { readonly type: 'pause' }
  | { readonly type: 'resume'; readonly at: number }
  | { readonly type: 'finish' }
  | { readonly type: 'abort'; readonly reason: string }
  | { readonly type: 'rollback'; readonly reason: string };

export type RolloutEventType = RolloutEvent['type'];

/** The states each event is accepted in. */
export const ROLLOUT_TRANSITIONS: Readonly<Record<RolloutEventType, readonly RolloutStateName[]>> = Object.freeze({
  begin: ['pending'],
  advance: ['running', 'paused'],
  pause: ['running'],
  resume: ['paused'],
  finish: ['promoting'],
  abort: ['pending', 'running', 'paused'],
  rollback: ['pending', 'running', 'paused'],
});

/** A state in which the rollout still changes (and hosts keep both versions). */
export function isLive(state: RolloutState): boolean {
  return state.name === 'pending' || state.name === 'running' || state.name === 'paused' || state.name === 'promoting';
}

/** Where the new version stands: 'candidate' (both versions run), 'promoted' (it replaces the old), 'dropped' (the old serves everyone). */
export function hostRole(state: RolloutState): 'candidate' | 'promoted' | 'dropped' {
  switch (state.name) {
    case 'pending':
    case 'running':
    case 'paused':
      return 'candidate';
    case 'promoting':
    case 'completed':
      return 'promoted';
    case 'aborted':
    case 'rolled-back':
      return 'dropped';
    default: {
      const never: never = state;
      return never;
    }
  }
}

/** The share of clients (by hash) that gets the new version now, in percent. */
export function currentPercent(state: RolloutState, stages: readonly number[]): number {
  if (state.name === 'running' || state.name === 'paused') return stages[state.stage]!;
  return hostRole(state) === 'promoted' ? 100 : 0;
}

/** The next state, or E_ROLLOUT_STATE when the event is not accepted in `state`. */
export function transition(state: RolloutState, event: RolloutEvent, stages: readonly number[]): RolloutState {
  const allowed = ROLLOUT_TRANSITIONS[event.type];
  if (!allowed.includes(state.name))
    throw new HotmodError(
      FleetErrorCode.ROLLOUT_STATE,
      `rollout cannot ${event.type === 'advance' ? 'promote' : event.type} while it is ${state.name} (only when ${allowed.join(' or ')}); see hotmod rollout status`,
      { state: state.name, event: event.type, allowed: [...allowed] },
    );
  switch (event.type) {
    case 'begin':
      return { name: 'running', stage: 0, since: event.at };
    case 'advance': {
      const stage = (state as Extract<RolloutState, { stage: number }>).stage + 1;
      return stage < stages.length ? { name: 'running', stage, since: event.at } : { name: 'promoting' };
    }
    case 'pause':
      return { name: 'paused', stage: (state as Extract<RolloutState, { name: 'running' }>).stage };
    case 'resume':
      return { name: 'running', stage: (state as Extract<RolloutState, { name: 'paused' }>).stage, since: event.at };
    case 'finish':
      return { name: 'completed' };
    case 'abort':
      return { name: 'aborted', reason: event.reason };
    case 'rollback':
      return { name: 'rolled-back', reason: event.reason };
    default: {
      const never: never = event;
      return never;
    }
  }
}

/**
 * The automatic decision (pure): begin a pending rollout, roll back one whose new version
 * is over budget (checked at every tick of every stage, paused included), advance a stage
 * whose bake time has passed within budget. `promoting -> completed` is not decided here:
 * a host finishes it once it has promoted locally.
 */
export function nextStep(state: RolloutState, bakeMs: number, health: HealthVerdict, now: number): RolloutEvent | undefined {
  switch (state.name) {
    case 'pending':
      return { type: 'begin', at: now };
    case 'running':
    case 'paused':
      if (!health.withinBudget) return { type: 'rollback', reason: health.reason };
      if (state.name === 'running' && now - state.since >= bakeMs && health.judged) return { type: 'advance', at: now };
      return undefined;
    default:
      return undefined;
  }
}

import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadModulePackage, type ModulePackage } from '../../src/registry/index.js';
import { pino } from 'pino';
import { EventEmitter } from 'eventemitter3';
import { createIsolateSandboxFactory } from '../../src/sandbox/index.js';
import { ActivationEngine } from '../../src/runtime/activationEngine.js';
import { CallGate } from '../../src/runtime/callGate.js';
import { systemClock, type Clock } from '../../src/runtime/clock.js';
import { emptyModuleConfig } from '../../src/runtime/configSources.js';
import { DEFAULT_LIMITS, DEFAULT_RESTART } from '../../src/runtime/hostOptions.js';
import type { ModuleInstance } from '../../src/runtime/moduleInstance.js';
import type { HostEvents } from '../../src/runtime/types.js';
import { INTENT_SOURCES, ModuleTable, type ModuleIntent, type ModuleIntentType, type ModuleSnapshot } from '../../src/runtime/moduleTable.js';
import { canTransition, type ModuleStateTag } from '../../src/runtime/moduleState.js';
import { HotmodError } from '../../src/errors.js';
import { FIXTURES } from './helpers.js';

const RUNTIME_SRC = path.resolve(import.meta.dirname, '../../src/runtime');
const factory = createIsolateSandboxFactory();
const instances: ModuleInstance[] = [];

afterEach(async () => {
  await Promise.allSettled(instances.splice(0).map((i) => i.sandbox.dispose()));
});

let counter: ModulePackage;
let counterNext: ModulePackage;

beforeAll(async () => {
  counter = (await loadModulePackage(path.join(FIXTURES, 'swap/counter'))).pkg!;
  // The same folder read again stands in for the version being swapped in.
  counterNext = (await loadModulePackage(path.join(FIXTURES, 'swap/counter'))).pkg!;
});

const NO_SWAPS = Promise.resolve();

/** Real instances: the engine compiles and activates each in a fresh isolate (its table is not the one under test). */
const engine = new ActivationEngine(new ModuleTable(systemClock), {
  logger: pino({ level: 'silent' }),
  clock: systemClock,
  events: new EventEmitter<HostEvents>(),
  isolateFactory: factory,
  processFactory: () => factory,
  moduleConfig: emptyModuleConfig,
  defaultIsolation: 'isolate',
  defaultLimits: DEFAULT_LIMITS,
  restart: DEFAULT_RESTART,
  drainTimeoutMs: 1000,
  callCapability: async () => undefined,
  swapsSettled: () => NO_SWAPS,
});

async function instanceOf(pkg: ModulePackage): Promise<ModuleInstance> {
  const instance = await engine.startInstance(pkg, undefined, () => {});
  instances.push(instance);
  return instance;
}

const binding = (pkg: ModulePackage) => ({ pkg, bindings: {}, optionalBindings: {}, dependsOn: [] });

/** A table with `counter` active on a real instance. */
async function activeTable(clock: Clock = systemClock): Promise<{ table: ModuleTable; old: ModuleInstance }> {
  const table = new ModuleTable(clock);
  table.add(counter);
  table.apply('counter', { type: 'resolve', binding: binding(counter) });
  const old = await instanceOf(counter);
  table.apply('counter', { type: 'activate', promise: Promise.resolve(old) });
  table.apply('counter', { type: 'activated', instance: old, activationMs: 1 });
  return { table, old };
}

function expectRefused(fn: () => unknown, pattern: RegExp): HotmodError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(HotmodError);
    expect((error as HotmodError).code).toBe('E_STATE_TRANSITION');
    expect((error as HotmodError).message).toMatch(pattern);
    return error as HotmodError;
  }
  throw new Error('expected E_STATE_TRANSITION');
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
}

describe('the module table', () => {
  it('publishes a new frozen snapshot for every change; a snapshot a reader holds never changes under it', async () => {
    const table = new ModuleTable(systemClock);
    const discovered = table.add(counter);
    expect(discovered.state.name).toBe('discovered');
    const resolved = table.apply('counter', { type: 'resolve', binding: { ...binding(counter), bindings: { 'x.api': 'x' }, dependsOn: ['y'] } });
    expect(resolved.requiredModules).toEqual(['x', 'y']);
    const instance = await instanceOf(counter);
    const activating = table.apply('counter', { type: 'activate', promise: Promise.resolve(instance) });
    const active = table.apply('counter', { type: 'activated', instance, activationMs: 3 });

    expect(table.get('counter')).toBe(active);
    expect(active.state).toEqual({ name: 'active', instance });
    expect(active.activationMs).toBe(3);
    // What earlier readers hold is what the table said then.
    expect(discovered.state.name).toBe('discovered');
    expect(discovered.requiredModules).toEqual([]);
    expect(resolved.state.name).toBe('resolved');
    expect(activating.state.name).toBe('activating');
    for (const s of [discovered, resolved, activating, active]) {
      expect(Object.isFrozen(s)).toBe(true);
      expect(Object.isFrozen(s.state)).toBe(true);
    }
    // Frozen at run time, readonly at compile time: a reader cannot write a snapshot.
    expect(() => {
      // @ts-expect-error ModuleSnapshot is readonly: only the table changes module state.
      (active as ModuleSnapshot).state = { name: 'inactive' };
    }).toThrow(TypeError);
    expect(table.get('counter')!.state.name).toBe('active');
  });

  it('refuses an intent its state does not accept with E_STATE_TRANSITION, and changes nothing', async () => {
    const table = new ModuleTable(systemClock);
    table.add(counter);
    const resolved = table.apply('counter', { type: 'resolve', binding: binding(counter) });
    const instance = await instanceOf(counter);
    const refusals: [ModuleIntent, RegExp][] = [
      [{ type: 'activated', instance, activationMs: 1 }, /intent 'activated' is not accepted in state resolved \(only in activating\)/],
      [{ type: 'beginSwap', next: counterNext }, /intent 'beginSwap' is not accepted in state resolved/],
      [{ type: 'holdCalls', gate: new CallGate() }, /intent 'holdCalls' is not accepted in state resolved/],
      [{ type: 'install', instance }, /intent 'install' is not accepted in state resolved/],
      [{ type: 'deactivate', done: Promise.resolve() }, /intent 'deactivate' is not accepted in state resolved/],
      [{ type: 'restart' }, /intent 'restart' is not accepted in state resolved/],
    ];
    for (const [intent, message] of refusals) {
      const error = expectRefused(() => table.apply('counter', intent), message);
      expect(error.details).toMatchObject({ moduleId: 'counter', intent: intent.type, from: 'resolved' });
      expect(table.get('counter')).toBe(resolved);
    }
    // An intent for a module the table does not hold, and a second add of an id, are bugs too.
    expectRefused(() => table.apply('nobody', { type: 'claim' }), /intent 'claim' for 'nobody', which is not in the table/);
    expectRefused(() => table.add(counter), /'counter' is already in the table/);
    // The lifecycle still has the last word: resolve is accepted from inactive, never from active.
    table.apply('counter', { type: 'activate', promise: Promise.resolve(instance) });
    table.apply('counter', { type: 'activated', instance, activationMs: 1 });
    expectRefused(() => table.apply('counter', { type: 'resolve', binding: binding(counter) }), /intent 'resolve' is not accepted in state active/);
    expect(table.get('counter')!.state.name).toBe('active');
  });

  it('holds the old instance, the next version and the gate while swapping; installing opens the gate to the new instance', async () => {
    const { table, old } = await activeTable();
    const swapping = table.apply('counter', { type: 'beginSwap', next: counterNext });
    expect(swapping.state).toEqual({ name: 'swapping', old, next: counterNext, gate: undefined });
    const gate = new CallGate();
    const holding = table.apply('counter', { type: 'holdCalls', gate });
    expect(holding.state).toEqual({ name: 'swapping', old, next: counterNext, gate });
    // The snapshot from before the gate still says calls go to the old instance.
    expect(swapping.state.name === 'swapping' && swapping.state.gate).toBe(undefined);

    const held = gate.wait().then(() => table.get('counter')!.state);
    expect(gate.held).toBe(1);
    expect(await settlesWithin(held, 30)).toBe(false);
    const next = await instanceOf(counterNext);
    table.apply('counter', { type: 'install', instance: next, binding: binding(counterNext) });
    // The held call wakes to the state that replaced the gate: the new instance serves it.
    expect(await held).toEqual({ name: 'active', instance: next });
    expect(gate.held).toBe(0);
    expect(table.get('counter')!.pkg).toBe(counterNext);
    // A second install is not a swap: it is refused.
    expectRefused(() => table.apply('counter', { type: 'install', instance: next }), /intent 'install' is not accepted in state active/);
  });

  it('ends a swap that installed nothing with the old instance serving, and opens the gate', async () => {
    const { table, old } = await activeTable();
    table.apply('counter', { type: 'beginSwap', next: counterNext });
    const gate = new CallGate();
    table.apply('counter', { type: 'holdCalls', gate });
    const held = gate.wait();
    const ended = table.apply('counter', { type: 'endSwap' });
    expect(ended.state).toEqual({ name: 'active', instance: old });
    expect(await settlesWithin(held, 1000)).toBe(true);
    expect(ended.pkg).toBe(counter);
  });

  it('keeps the calls held when the old instance crashes during a swap, until the swap installs an instance', async () => {
    const { table } = await activeTable();
    table.apply('counter', { type: 'beginSwap', next: counterNext });
    const gate = new CallGate();
    table.apply('counter', { type: 'holdCalls', gate });
    const held = gate.wait();
    const error = new HotmodError('E_MODULE_FAILED', "module 'counter' crashed", {});
    const failed = table.apply('counter', { type: 'fail', error, failures: [Date.now()] });
    expect(failed.state).toMatchObject({ name: 'failed', error, gate });
    expect(failed.failures).toHaveLength(1);
    expect(await settlesWithin(held, 30)).toBe(false);
    const resumed = await instanceOf(counter);
    table.apply('counter', { type: 'install', instance: resumed });
    expect(await settlesWithin(held, 1000)).toBe(true);
    expect(table.get('counter')!.state).toEqual({ name: 'active', instance: resumed });
  });

  it('ends a swap whose old instance crashed with the gate open and the scheduled restart kept', async () => {
    const cleared: unknown[] = [];
    const clock: Clock = { ...systemClock, clearTimeout: (t) => (cleared.push(t), systemClock.clearTimeout(t)) };
    const { table } = await activeTable(clock);
    table.apply('counter', { type: 'beginSwap', next: counterNext });
    const gate = new CallGate();
    table.apply('counter', { type: 'holdCalls', gate });
    const held = gate.wait();
    let restarted = false;
    const timer = clock.setTimeout(() => (restarted = true), 20);
    const error = new HotmodError('E_MODULE_FAILED', "module 'counter' crashed", {});
    table.apply('counter', { type: 'fail', error, failures: [Date.now()], restart: { at: Date.now() + 20, timer } });
    const ended = table.apply('counter', { type: 'endSwap' });
    expect(ended.state).toMatchObject({ name: 'failed', error, timer });
    expect(ended.state.name === 'failed' && ended.state.gate).toBe(undefined);
    expect(await settlesWithin(held, 1000)).toBe(true);
    expect(cleared).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(restarted).toBe(true);
  });

  it("clears a failed state's restart timer when another intent moves the module on", async () => {
    const cleared: unknown[] = [];
    const clock: Clock = { ...systemClock, clearTimeout: (t) => (cleared.push(t), systemClock.clearTimeout(t)) };
    const table = new ModuleTable(clock);
    table.add(counter);
    table.apply('counter', { type: 'resolve', binding: binding(counter) });
    let fired = false;
    const timer = clock.setTimeout(() => (fired = true), 40);
    const error = new HotmodError('E_MODULE_FAILED', 'boom', {});
    table.apply('counter', { type: 'activate', promise: new Promise(() => {}) });
    table.apply('counter', { type: 'fail', error, failures: [1], restart: { at: Date.now() + 40, timer } });
    expect(table.get('counter')!.state).toMatchObject({ name: 'failed', timer, restartAt: expect.any(Number) });
    // A swap of the failed module replaces the restart.
    const replaced = table.apply('counter', { type: 'replace', binding: binding(counterNext) });
    expect(replaced.state.name).toBe('resolved');
    expect(replaced.failures).toEqual([]);
    expect(cleared).toEqual([timer]);
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toBe(false);
  });

  it('accepts each intent exactly in the states INTENT_SOURCES lists, and every move it makes is one the lifecycle allows', async () => {
    const instance = await instanceOf(counter);
    const error = new HotmodError('E_MODULE_FAILED', 'boom', {});
    const pending = new Promise<never>(() => {});
    /** A table with 'counter' brought into `state` through accepted intents only. */
    const tableIn = (state: ModuleStateTag): ModuleTable => {
      const table = new ModuleTable(systemClock);
      table.add(counter);
      const path: Record<ModuleStateTag, ModuleIntent[]> = {
        discovered: [],
        unresolved: [{ type: 'unresolve', error }],
        resolved: [{ type: 'resolve', binding: binding(counter) }],
        activating: [{ type: 'resolve', binding: binding(counter) }, { type: 'activate', promise: pending }],
        failed: [{ type: 'resolve', binding: binding(counter) }, { type: 'activate', promise: pending }, { type: 'fail', error, failures: [] }],
        active: [{ type: 'resolve', binding: binding(counter) }, { type: 'activate', promise: pending }, { type: 'activated', instance, activationMs: 1 }],
        swapping: [],
        deactivating: [],
        inactive: [],
      };
      path.swapping = [...path.active, { type: 'beginSwap', next: counterNext }];
      path.deactivating = [...path.active, { type: 'deactivate', done: pending }];
      path.inactive = [...path.deactivating, { type: 'deactivated' }];
      for (const intent of path[state]) table.apply('counter', intent);
      expect(table.get('counter')!.state.name).toBe(state);
      return table;
    };
    const samples: Record<ModuleIntentType, ModuleIntent> = {
      resolve: { type: 'resolve', binding: binding(counter) },
      unresolve: { type: 'unresolve', error },
      activate: { type: 'activate', promise: pending },
      activated: { type: 'activated', instance, activationMs: 1 },
      fail: { type: 'fail', error, failures: [] },
      restart: { type: 'restart' },
      retry: { type: 'retry' },
      claim: { type: 'claim' },
      deactivate: { type: 'deactivate', done: pending },
      deactivated: { type: 'deactivated' },
      beginSwap: { type: 'beginSwap', next: counterNext },
      holdCalls: { type: 'holdCalls', gate: new CallGate() },
      install: { type: 'install', instance },
      endSwap: { type: 'endSwap' },
      replace: { type: 'replace', binding: binding(counterNext) },
    };
    const states: ModuleStateTag[] = ['discovered', 'resolved', 'activating', 'active', 'swapping', 'deactivating', 'inactive', 'failed', 'unresolved'];
    for (const [type, intent] of Object.entries(samples) as [ModuleIntentType, ModuleIntent][]) {
      const sources = INTENT_SOURCES[type];
      for (const from of states) {
        const table = tableIn(from);
        const before = table.get('counter')!;
        if (sources === 'any' || sources.includes(from)) {
          const after = table.apply('counter', intent).state;
          // The same state object is no move (claim; replace of a resolved module).
          if (after !== before.state) expect(canTransition(from, after.name), `${type}: ${from} -> ${after.name}`).toBe(true);
        } else {
          expectRefused(() => table.apply('counter', intent), new RegExp(`intent '${type}' is not accepted in state ${from}`));
          expect(table.get('counter'), `${type} from ${from} changed nothing`).toBe(before);
        }
      }
    }
  });

  it('gives every record a generation no other record had, also one re-created under the same id', () => {
    const table = new ModuleTable(systemClock);
    const first = table.add(counter).generation;
    const claimed = table.apply('counter', { type: 'claim' });
    expect(claimed.generation).toBeGreaterThan(first);
    expect(claimed.state.name).toBe('discovered');
    table.remove('counter');
    expect(table.get('counter')).toBeUndefined();
    expect(table.add(counter).generation).toBeGreaterThan(claimed.generation);
  });
});

describe('one writer of module state', () => {
  /** The runtime's source files, without comments. */
  async function runtimeSources(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const entry of await readdir(RUNTIME_SRC, { recursive: true })) {
      if (!entry.endsWith('.ts')) continue;
      const text = await readFile(path.join(RUNTIME_SRC, entry), 'utf8');
      // Comments blanked, newlines kept: the line numbers of a finding are the file's.
      out.set(entry, text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, '')).replace(/\/\/.*$/gm, ''));
    }
    return out;
  }

  it('only the module table holds the mutable record: no other file imports moduleRecord.ts', async () => {
    const importers = [...(await runtimeSources())].filter(([, text]) => /from '\.\/moduleRecord\.js'/.test(text)).map(([file]) => file);
    expect(importers).toEqual(['moduleTable.ts']);
  });

  it('no file but the table and its record assigns module state (state, instance, gate, generation, bindings)', async () => {
    const writes: string[] = [];
    const assignment = /([\w#$]*)[)\]!?]*\.(state|serving|gate|held|generation|restarts|failures|pkg|bindings|optionalBindings|dependsOn|activationMs)\s*(=(?!=)|\+\+|--|\+=|-=)/g;
    for (const [file, text] of await runtimeSources()) {
      if (file === 'moduleTable.ts' || file === 'moduleRecord.ts') continue;
      text.split('\n').forEach((line, i) => {
        for (const m of line.matchAll(assignment)) {
          // The watcher's own folder bookkeeping (watcher.ts) is not module state.
          if (file === 'watcher.ts' && m[1] === 'folder') continue;
          writes.push(`${file}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    expect(writes).toEqual([]);
  });
});

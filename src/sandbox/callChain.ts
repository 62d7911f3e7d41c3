/**
 * The chain of module-to-module calls a call makes: one deadline for the whole call (every
 * hop included), a depth limit and a hop count limit, and the modules on the way (for the
 * messages). A hop's chain travels to the callee through AsyncLocalStorage: the sandbox
 * runs the runtime's `callCapability` inside it, and the callee's `call` (reached through
 * the router's awaits, which keep the store) reads it. No router change needed, and a call
 * from outside any chain (client.invoke) finds no store: a new chain starts.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { HotmodError } from '../errors.js';
import { SandboxErrorCode } from './errors.js';

/** Defaults for the factory options maxCallDepth / maxCallHops (docs/sandbox.md). */
export const DEFAULT_MAX_CALL_DEPTH = 16;
export const DEFAULT_MAX_CALL_HOPS = 10_000;

/** What a hop hands the callee: the chain so far, as seen at the callee. */
export interface HopContext {
  /** Shared by every call of one chain (in one process): counts its hops. */
  readonly root: { hops: number };
  /** The callee's depth: 1 for a module called by the module a client called. */
  readonly depth: number;
  /** The callers, outermost first. */
  readonly modules: readonly string[];
  /** performance.now() by which the whole chain must be done. */
  readonly deadline: number;
}

/** The chain of one running call. */
export type CallChain = HopContext;

export const hopStorage = new AsyncLocalStorage<HopContext>();
/** Hops already taken up by their callee: one hop is one call. */
const claimed = new WeakSet<HopContext>();

/**
 * The hop that the call starting now serves, if any. One hop is one call: a continuation
 * that outlived its hop (a timer armed under it that calls a module) starts a new chain.
 */
export function takeHop(): HopContext | undefined {
  const hop = hopStorage.getStore();
  if (hop === undefined || claimed.has(hop)) return undefined;
  claimed.add(hop);
  return hop;
}

/** The chain's deadline passed before this hop could start: the call is out of time. */
export function deadlinePassed(chain: CallChain, capability: string, method: string): HotmodError {
  return new HotmodError(
    SandboxErrorCode.CALL_TIMEOUT,
    `call chain ${chain.modules.join(' → ')} → '${capability}.${method}' ran out of its call's time (the deadline covers every hop); make fewer or faster calls, or raise limits.callTimeoutMs or the call timeoutMs`,
    { chain: [...chain.modules], capability, method, stopped: false },
  );
}

/** The chain of a call starting now in `moduleId` with `deadline`, under `hop` (undefined: a new chain). */
export function chainFor(hop: HopContext | undefined, moduleId: string, deadline: number): CallChain {
  if (hop === undefined) return { root: { hops: 0 }, depth: 0, modules: [moduleId], deadline };
  return { root: hop.root, depth: hop.depth, modules: [...hop.modules, moduleId], deadline: Math.min(deadline, hop.deadline) };
}

export interface ChainLimits {
  maxCallDepth: number;
  maxCallHops: number;
}

/** The next hop out of `chain`, or the coded error that refuses it. */
export function nextHop(chain: CallChain, limits: ChainLimits, capability: string, method: string): HopContext | HotmodError {
  const path = `${chain.modules.join(' → ')} → '${capability}.${method}'`;
  if (chain.depth + 1 > limits.maxCallDepth) {
    return new HotmodError(
      SandboxErrorCode.CALL_CHAIN_LIMIT,
      `call chain ${path} is ${chain.depth + 1} hops deep, over maxCallDepth ${limits.maxCallDepth} (modules calling each other without end?); break the recursion, or raise maxCallDepth of the sandbox factory`,
      { limit: 'depth', maxCallDepth: limits.maxCallDepth, chain: [...chain.modules], capability, method },
    );
  }
  if (++chain.root.hops > limits.maxCallHops) {
    return new HotmodError(
      SandboxErrorCode.CALL_CHAIN_LIMIT,
      `call chain ${path} made more than maxCallHops ${limits.maxCallHops} module-to-module calls for one call (a capability call in a loop?); make fewer calls, or raise maxCallHops of the sandbox factory`,
      { limit: 'hops', maxCallHops: limits.maxCallHops, chain: [...chain.modules], capability, method },
    );
  }
  return { root: chain.root, depth: chain.depth + 1, modules: chain.modules, deadline: chain.deadline };
}

/** A hop as it crosses to or from a child process (process isolation): times as what is left. */
export interface WireHop {
  hops: number;
  depth: number;
  modules: string[];
  remainingMs: number;
}

export function hopToWire(hop: HopContext | undefined): WireHop | undefined {
  return hop === undefined ? undefined : { hops: hop.root.hops, depth: hop.depth, modules: [...hop.modules], remainingMs: hop.deadline - performance.now() };
}

/** A hop from the other process; its fields are checked (a child is host code, but a broken one must not wedge the parent). */
export function hopFromWire(wire: WireHop | undefined): HopContext | undefined {
  if (wire === undefined || typeof wire !== 'object') return undefined;
  const { hops, depth, modules, remainingMs } = wire;
  if (typeof hops !== 'number' || typeof depth !== 'number' || typeof remainingMs !== 'number' || !Array.isArray(modules)) return undefined;
  return { root: { hops }, depth, modules: modules.filter((m): m is string => typeof m === 'string'), deadline: performance.now() + remainingMs };
}

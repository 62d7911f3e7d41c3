/**
 * The entry of a sandbox child process. It runs the in-process sandbox factory (an
 * isolate per sandbox, as with `isolation: 'isolate'`) and serves the IPC protocol:
 * requests from the parent, module-to-module calls and logs back to it, and a heartbeat
 * that proves the event loop still turns (an endless synchronous loop stops it).
 *
 * argv: [factoryModuleUrl, factoryExportName, heartbeatIntervalMs, factoryOptionsJson]
 * The child exits when the parent disconnects, so it never outlives the host.
 */
import { HotmodError } from '../../errors.js';
import type { Sandbox, SandboxFactory, SandboxOptions } from '../types.js';
import { ProcessSandboxErrorCode } from './errors.js';
import { fromWireError, toWireError, type ChildRequest, type ChildToParent, type ParentToChild } from './protocol.js';
import { hopFromWire, hopStorage, hopToWire } from '../callChain.js';

const [factoryUrl, factoryExport, heartbeatArg, factoryOptionsJson] = process.argv.slice(2);
const heartbeatIntervalMs = Number(heartbeatArg) > 0 ? Number(heartbeatArg) : 1000;

if (typeof process.send !== 'function') {
  console.error('hotmod sandbox child: started without an IPC channel; it is only meant to be forked by createProcessSandboxFactory');
  process.exit(2);
}

const send = (message: ChildToParent): void => {
  // After a disconnect there is nobody to tell; the 'disconnect' handler exits.
  if (process.connected) process.send!(message);
};

const sandboxes = new Map<number, Sandbox>();
/** Requests being served per sandbox: its metrics are not read meanwhile (see the heartbeat). */
const busy = new Map<number, number>();
const capabilityCalls = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
let nextCapabilityId = 1;
let shuttingDown = false;

const factory = await loadFactory();

process.on('message', (message: ParentToChild) => {
  switch (message.type) {
    case 'create':
    case 'activate':
    case 'call':
    case 'deactivate':
    case 'dispose':
      void serve(message);
      return;
    case 'capabilityResult': {
      const pending = capabilityCalls.get(message.id);
      if (pending === undefined) return;
      capabilityCalls.delete(message.id);
      if (message.ok) pending.resolve(message.value);
      else pending.reject(fromWireError(message.error));
      return;
    }
    case 'shutdown':
      void shutdown();
      return;
    default: {
      const never: never = message;
      throw new Error(`hotmod sandbox child: unknown message ${JSON.stringify(never)}`);
    }
  }
});
process.on('disconnect', () => process.exit(0));
// A stray rejection inside the sandbox layer must not take every sandbox of this child
// down with it (Node's default is to exit): report it on stderr, which the parent logs.
process.on('unhandledRejection', (reason) => {
  console.error('hotmod sandbox child: unhandled rejection (ignored):', reason);
});

// The heartbeat doubles as the metrics feed: the parent's `metrics()` is synchronous.
// Reading an isolate's heap statistics waits for the isolate's lock, so a sandbox that is
// serving a request (perhaps stuck in a runaway allocation on its own thread) is skipped:
// the heartbeat must measure this event loop, not one isolate's business.
setInterval(() => {
  const metrics: Array<[number, ReturnType<Sandbox['metrics']>]> = [];
  for (const [id, sandbox] of sandboxes) {
    if (busy.has(id)) continue;
    try {
      metrics.push([id, sandbox.metrics()]);
    } catch {
      // A sandbox whose isolate just died has no metrics; the fatal report says why.
    }
  }
  send({ type: 'heartbeat', metrics });
}, heartbeatIntervalMs);

send({ type: 'ready', pid: process.pid });

async function loadFactory(): Promise<SandboxFactory> {
  if (factoryUrl === undefined || factoryExport === undefined) throw new Error('hotmod sandbox child: missing factory arguments');
  const mod = (await import(factoryUrl)) as Record<string, unknown>;
  const create = mod[factoryExport];
  if (typeof create !== 'function') {
    throw new Error(`hotmod sandbox child: ${factoryUrl} has no function export '${factoryExport}'`);
  }
  const factoryOptions: unknown = factoryOptionsJson ? JSON.parse(factoryOptionsJson) : undefined;
  return (create as (options: unknown) => SandboxFactory)(factoryOptions);
}

async function serve(request: ChildRequest): Promise<void> {
  const { sandboxId } = request;
  busy.set(sandboxId, (busy.get(sandboxId) ?? 0) + 1);
  try {
    const value = await dispatch(request);
    send({ type: 'result', id: request.id, ok: true, value, ...stateOf(request) });
  } catch (error) {
    send({ type: 'result', id: request.id, ok: false, error: toWireError(error), ...stateOf(request) });
  } finally {
    const left = (busy.get(sandboxId) ?? 1) - 1;
    if (left > 0) busy.set(sandboxId, left);
    else busy.delete(sandboxId);
  }
}

function stateOf(request: ChildRequest): { state?: Sandbox['state'] } {
  // Calls do not change a sandbox's lifecycle state: keep their answers small.
  if (request.type === 'call') return {};
  const sandbox = sandboxes.get(request.sandboxId);
  return sandbox === undefined ? {} : { state: sandbox.state };
}

async function dispatch(request: ChildRequest): Promise<unknown> {
  if (request.type === 'create') {
    const sandboxId = request.sandboxId;
    const options: SandboxOptions = {
      ...request.options,
      log: (level, message, data) => send({ type: 'log', sandboxId, level, message, ...(data === undefined ? {} : { data }) }),
      callCapability: (call) =>
        new Promise((resolve, reject) => {
          const id = nextCapabilityId++;
          capabilityCalls.set(id, { resolve, reject });
          // The hop this sandbox's host services run the call under (callChain.ts) goes along.
          const hop = hopToWire(hopStorage.getStore());
          send({ type: 'callCapability', id, sandboxId, call, ...(hop === undefined ? {} : { hop }) });
        }),
      onFatal: (error) => {
        sandboxes.delete(sandboxId);
        send({ type: 'fatal', sandboxId, error: toWireError(error) });
      },
    };
    const sandbox = await factory.create(options);
    sandboxes.set(sandboxId, sandbox);
    return undefined;
  }
  const sandbox = sandboxes.get(request.sandboxId);
  if (sandbox === undefined) {
    if (request.type === 'dispose') return undefined;
    throw new HotmodError(
      ProcessSandboxErrorCode.SANDBOX_DISPOSED,
      `sandbox ${request.sandboxId} is gone from child process ${process.pid} (${request.type}): it was disposed or its isolate died; create a new sandbox`,
      { pid: process.pid, phase: request.type },
    );
  }
  switch (request.type) {
    case 'activate':
      return sandbox.activate(request.ctx);
    case 'call': {
      const hop = hopFromWire(request.hop);
      const call = () => sandbox.call(request.capability, request.method, request.input, request.context, request.timeoutMs);
      return hop === undefined ? call() : hopStorage.run(hop, call);
    }
    case 'deactivate':
      return sandbox.deactivate();
    case 'dispose':
      sandboxes.delete(request.sandboxId);
      await sandbox.dispose();
      return undefined;
    default: {
      const never: never = request;
      throw new Error(`hotmod sandbox child: unknown request ${JSON.stringify(never)}`);
    }
  }
}

async function shutdown(): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  const all = [...sandboxes.values()];
  sandboxes.clear();
  // A disposed-by-OOM isolate may never settle its dispose: bound the wait.
  await Promise.race([
    Promise.allSettled([...all.map((s) => s.dispose()), factory.close?.()]),
    new Promise((resolve) => setTimeout(resolve, 1000)),
  ]);
  process.exit(0);
}

/**
 * Turns what the bridge reports about a failure inside the isolate into a HotmodError.
 * The bridge sends JSON text it built itself, but the text describes module values, so
 * everything here treats it as untrusted: parsed defensively, fields type-checked.
 */
import { HotmodError } from '../errors.js';
import { BRIDGE_FILENAME } from './bridgeSource.js';
import { SandboxErrorCode } from './errors.js';
import { authorLocation, mapFrames } from './sourceMaps.js';
import { explainMissingGlobal } from './webGlobals/index.js';

/** What an operation was, for messages: a method call, activate, deactivate, a timer. */
export interface OperationLabel {
  moduleId: string;
  version: string;
  phase: 'call' | 'activate' | 'deactivate' | 'timer';
  capability?: string;
  method?: string;
}

interface ThrownInfo {
  thrown?: string;
  name?: string;
  message?: string;
  stack?: string;
  code?: string | number;
}

export function describeOperation(label: OperationLabel): string {
  switch (label.phase) {
    case 'call':
      return `method '${label.capability}.${label.method}'`;
    case 'activate':
      return 'activate';
    case 'deactivate':
      return 'deactivate';
    case 'timer':
      return 'a timer callback';
  }
}

function parseInfo(text: string): ThrownInfo {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as ThrownInfo) : {};
  } catch {
    return {};
  }
}

/** The module's own stack frames (bridge frames dropped): the module's file names and lines. */
function moduleFrames(stack: unknown): string[] {
  if (typeof stack !== 'string') return [];
  return stack.split('\n').filter((line) => /^\s+at /.test(line) && !line.includes(BRIDGE_FILENAME));
}

/**
 * Module code threw (or rejected with) something: E_MODULE_THREW with its message, code
 * and stack. The module's code is only ever `details.moduleCode`. `refusals`: the codes
 * of host refusals this call received as capability answers; a module rethrowing one of
 * them gets `details.hostRefusal`, which only host code sets, so a router may pass the
 * host's own refusal on while a code the module made up stays the module's.
 */
export function moduleThrew(label: OperationLabel, infoText: string, refusals?: { has(code: string): boolean }): HotmodError {
  const info = parseInfo(infoText);
  const reason = typeof info.message === 'string' ? explainMissingGlobal(info.name, info.message) : 'an error without a message';
  const moduleCode = typeof info.code === 'string' || typeof info.code === 'number' ? info.code : undefined;
  const name = typeof info.name === 'string' ? info.name : undefined;
  const bundleFrames = moduleFrames(info.stack);
  // With the bundle's source map, the frames and the message show the author's src/ place.
  const location = authorLocation(bundleFrames);
  const frames = mapFrames(bundleFrames);
  const message =
    `module '${label.moduleId}@${label.version}' threw in ${describeOperation(label)}: ` +
    `${name && name !== 'Error' ? `${name}: ` : ''}${reason}${moduleCode !== undefined ? ` (code ${moduleCode})` : ''}${location ? ` at ${location}` : ''}; ` +
    'this is an error in the module: fix its code (the stack shows where)';
  const error = new HotmodError(SandboxErrorCode.MODULE_THREW, message, {
    moduleId: label.moduleId,
    version: label.version,
    phase: label.phase,
    ...(label.capability === undefined ? {} : { capability: label.capability, method: label.method }),
    ...(moduleCode === undefined ? {} : { moduleCode }),
    ...(typeof moduleCode === 'string' && refusals?.has(moduleCode) ? { hostRefusal: moduleCode } : {}),
    ...(name === undefined ? {} : { moduleErrorName: name }),
    ...(location === undefined ? {} : { sourceLocation: location }),
    thrown: typeof info.thrown === 'string' ? info.thrown : 'object',
    moduleStack: frames.join('\n'),
  });
  // The stack a developer reads should point into the module, not into hotmod.
  error.stack = `HotmodError: ${message}\n${frames.join('\n')}`;
  return error;
}

/**
 * The codes a bridge refusal may carry. The record comes out of the isolate, where module
 * code runs: whatever else it claims becomes E_MODULE_THREW, so that a module can never
 * dress its own failure up as a host condition (E_SANDBOX_MEMORY, E_CALL_TIMEOUT, …).
 */
const BRIDGE_CODES: ReadonlySet<string> = new Set([
  SandboxErrorCode.NOT_JSON,
  SandboxErrorCode.PAYLOAD_TOO_LARGE,
  SandboxErrorCode.UNKNOWN_METHOD,
  SandboxErrorCode.ACTIVATE_INVALID,
]);

/** The bridge refused a value or a name (not JSON, too large, unknown method, bad activate result). */
export function bridgeRefused(label: OperationLabel, infoText: string): HotmodError {
  const info = parseInfo(infoText) as { code?: unknown; message?: unknown };
  const code = typeof info.code === 'string' && BRIDGE_CODES.has(info.code) ? (info.code as SandboxErrorCode) : SandboxErrorCode.MODULE_THREW;
  const reason = typeof info.message === 'string' ? info.message : 'the bridge refused the value';
  const fix =
    code === SandboxErrorCode.UNKNOWN_METHOD
      ? 'call a method that activate returned for this capability'
      : code === SandboxErrorCode.PAYLOAD_TOO_LARGE
        ? 'return smaller values, or raise maxPayloadLength of the sandbox factory'
        : code === SandboxErrorCode.ACTIVATE_INVALID
          ? 'make activate return { "<capability>": { method() {…} } } for each capability in provides'
          : 'return plain JSON values (no cycles, BigInt or functions)';
  return new HotmodError(code, `module '${label.moduleId}@${label.version}' ${describeOperation(label)}: ${reason}; ${fix}`, {
    moduleId: label.moduleId,
    version: label.version,
    phase: label.phase,
    ...(label.capability === undefined ? {} : { capability: label.capability, method: label.method }),
  });
}

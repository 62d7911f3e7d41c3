// The sandbox's public surface inside hotmod: other parts import from here only.
// isolated-vm never leaks past src/sandbox.
export * from './types.js';
export { SandboxErrorCode } from './errors.js';
export { isDuration, durationRule, invalidDuration, MAX_DURATION_MS } from './durations.js';
export { createIsolateSandboxFactory, MIN_MEMORY_MB, type IsolateSandboxFactoryOptions } from './createIsolateSandboxFactory.js';
export type { ExecutionMode } from './isolateSandbox.js';
export { createProcessSandboxFactory, processSandboxPid, ProcessSandboxErrorCode, type ProcessSandboxFactory, type ProcessSandboxFactoryOptions } from './process/index.js';

// Process isolation: the sandbox contract served from supervised child processes.
export {
  createProcessSandboxFactory,
  processSandboxPid,
  type ProcessSandboxFactory,
  type ProcessSandboxFactoryOptions,
} from './createProcessSandboxFactory.js';
export type { ProcessInfo, ProcessLogLevel, ProcessSandboxLogger } from './processPool.js';
export { ProcessSandboxErrorCode } from './errors.js';

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** The host's own version: what `engines.hotmod` ranges in manifests are checked against. */
export const HOTMOD_VERSION: string = (require('../package.json') as { version: string }).version;

/** The oldest Node.js hotmod runs on (isolated-vm 6 is built for Node 22 and 24). */
export const MIN_NODE_VERSION = '22.12.0';

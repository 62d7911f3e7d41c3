// The registry's public surface inside hotmod: other parts import from here only.
export * from './types.js';
export { createCatalogView } from './catalogView.js';

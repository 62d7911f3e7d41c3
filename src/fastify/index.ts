// `hotmod/fastify`: the Fastify plugin and what an application needs around it.
import { hotmodPlugin } from './plugin.js';

export default hotmodPlugin;
export { hotmodPlugin, type HotmodPluginOptions } from './plugin.js';
export type { HotmodConsoleOptions } from './console/auth.js';
export { FastifyErrorCode } from './errors.js';
export { httpStatusForCode } from './httpStatus.js';
export { hotmodErrorHandler, toHttpError, type ErrorBody, type HttpError } from './errorReply.js';

// `hotmod/fastify`: the Fastify plugin and what an application needs around it.
import { hotmodPlugin } from './plugin.js';

export default hotmodPlugin;
export { hotmodPlugin, type HotmodPluginOptions } from './plugin.js';
export { FastifyErrorCode } from './errors.js';
export { httpStatusForCode } from './httpStatus.js';
export { toHttpError, type ErrorBody } from './errorReply.js';

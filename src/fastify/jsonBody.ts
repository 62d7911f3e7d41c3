/**
 * The routes' one body parser: JSON only (anything else is 415), at most MAX_BODY_BYTES,
 * nested at most MAX_BODY_DEPTH deep. The depth is checked on the raw text before it is
 * parsed: JSON.parse copes with any depth, but the host's JSON.stringify (on the way into
 * the isolate) recurses and overflows its stack, which would surface as a module error.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HotmodError } from '../index.js';
import { FastifyErrorCode } from './errors.js';

/** Largest request body the routes accept (bytes); larger is 413. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Deepest nesting of arrays and objects a body may have; deeper is 400. */
export const MAX_BODY_DEPTH = 64;

/** The deepest nesting in JSON text, stopping as soon as it passes `limit`. Strings are skipped. */
export function jsonDepthOver(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string, escapes included.
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}

export function useJsonBodies(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (request: FastifyRequest, body: string | Buffer, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonDepthOver(text, MAX_BODY_DEPTH)) {
      done(
        new HotmodError(
          FastifyErrorCode.BAD_REQUEST,
          `${request.method} ${request.url.split('?')[0]} refused: the JSON body is nested deeper than ${MAX_BODY_DEPTH} levels; send a flatter body (docs/fastify.md, Limits)`,
          { part: 'body', maxDepth: MAX_BODY_DEPTH },
        ),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });
}

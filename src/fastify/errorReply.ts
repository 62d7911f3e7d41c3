/**
 * Turns whatever a route threw into the plugin's one error shape,
 * `{ error: { code, message, details } }`, with the status from httpStatus.ts.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HotmodError } from '../index.js';
import { FastifyErrorCode } from './errors.js';
import { httpStatusForCode } from './httpStatus.js';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** True when the error is unexpected and worth an error-level log line. */
  unexpected: boolean;
}

function isCodedHotmodError(error: unknown): error is HotmodError {
  // instanceof, or the same shape from another copy of the class (a second install).
  return (
    error instanceof HotmodError ||
    (error instanceof Error && error.name === 'HotmodError' && typeof (error as { code?: unknown }).code === 'string')
  );
}

function route(request: FastifyRequest): string {
  return `${request.method} ${request.url.split('?')[0]}`;
}

export function toHttpError(error: unknown, request: FastifyRequest): HttpError {
  if (isCodedHotmodError(error)) {
    return {
      status: httpStatusForCode(error.code),
      body: { error: { code: error.code, message: error.message, details: error.details ?? {} } },
      unexpected: false,
    };
  }
  const fastifyError = error as Partial<FastifyError> | undefined;
  if (fastifyError?.validation) {
    const part = fastifyError.validationContext ?? 'request';
    return {
      status: 400,
      body: {
        error: {
          code: FastifyErrorCode.BAD_REQUEST,
          message: `${route(request)} refused: ${fastifyError.message}; fix the ${part} (see docs/fastify.md for the route's schema)`,
          details: {
            part,
            validation: fastifyError.validation.map((v) => ({
              instancePath: v.instancePath,
              keyword: v.keyword,
              message: v.message,
              params: v.params,
            })),
          },
        },
      },
      unexpected: false,
    };
  }
  const statusCode = fastifyError?.statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // Fastify's own request errors: unparsable JSON, empty JSON body, wrong media type, too large.
    return {
      status: statusCode,
      body: {
        error: {
          code: FastifyErrorCode.BAD_REQUEST,
          message: `${route(request)} refused: ${fastifyError?.message ?? 'bad request'}; send a JSON body with content-type application/json`,
          details: { fastifyCode: fastifyError?.code },
        },
      },
      unexpected: false,
    };
  }
  return {
    status: 500,
    body: {
      error: {
        code: FastifyErrorCode.INTERNAL,
        message: `${route(request)} failed with an unexpected error; the server log has it under request id ${String(request.id)}`,
        details: { requestId: request.id },
      },
    },
    unexpected: true,
  };
}

/**
 * Answers `error` in the plugin's shape with the status of its code. The plugin's routes
 * use it; an application can too, for its own routes that call the host:
 * `app.setErrorHandler(hotmodErrorHandler)`.
 */
export function hotmodErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const http = toHttpError(error, request);
  if (http.unexpected) request.log.error({ err: error }, 'hotmod route failed');
  else if (http.status >= 500) request.log.warn({ code: http.body.error.code }, http.body.error.message);
  return reply.code(http.status).type('application/json; charset=utf-8').send(http.body);
}

/**
 * The plugin's validator compiler, set only inside the plugin's own (encapsulated) route
 * context. Fastify's default coerces every part, bodies included; here the body is
 * validated as sent and only params / query / headers (strings on the wire) are coerced.
 */
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const common: Options = { allErrors: false, useDefaults: true, strict: true };

export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strictAjv = new Ajv({ ...common, coerceTypes: false, removeAdditional: false });
  const coercingAjv = new Ajv({ ...common, coerceTypes: 'array', removeAdditional: false });
  return ({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strictAjv : coercingAjv;
    return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
  };
}

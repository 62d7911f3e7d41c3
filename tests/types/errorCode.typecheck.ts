/**
 * Type-level checks of HotmodError's code union, run by `npm run typecheck` (tsconfig
 * includes tests/; vitest does not run this file). Each `@ts-expect-error` fails the
 * typecheck if the line below it compiles, i.e. if a typo code were accepted.
 */
import { HotmodError, isHotmodError, wrapError, type HotmodErrorCode } from '../../src/errors.js';
import { FastifyErrorCode } from '../../src/fastify/errors.js';
import { LegacyBridgeErrorCode, MigrationErrorCode, CatalogErrorCode, ManifestErrorCode, ResolveErrorCode, RuntimeErrorCode, SandboxErrorCode, ProcessSandboxErrorCode } from '../../src/index.js';

// Every part's codes are in the union.
export const codes: HotmodErrorCode[] = [
  FastifyErrorCode.BAD_REQUEST,
  LegacyBridgeErrorCode.STORE_CLOSED,
  Object.values(MigrationErrorCode)[0]!,
  CatalogErrorCode.DUPLICATE,
  ManifestErrorCode.INVALID,
  ResolveErrorCode.CONFLICT,
  RuntimeErrorCode.NOT_ENABLED,
  SandboxErrorCode.CALL_TIMEOUT,
  ProcessSandboxErrorCode.SANDBOX_CRASHED,
  'E_CALL_TIMEOUT',
];

// @ts-expect-error a typo in a code does not compile
export const typo = new HotmodError('E_CALL_TIMEOUTT', 'message');

// @ts-expect-error nor does a code no part declares
export const unknown: HotmodErrorCode = 'E_NOT_A_CODE';

// @ts-expect-error the union is not plain string
export const anyString: HotmodErrorCode = 'anything' as string;

export const checks = (error: unknown) => [
  isHotmodError(error, 'E_NOT_ENABLED'),
  // @ts-expect-error isHotmodError's code is checked too
  isHotmodError(error, 'E_NOT_ENABLD'),
  wrapError(error, 'E_STORE_QUERY_FAILED', (reason) => reason),
  // @ts-expect-error and wrapError's
  wrapError(error, 'E_STORE_QUERY_FAIL', (reason) => reason),
];

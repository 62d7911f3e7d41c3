import { HotmodError } from '../errors.js';
import { LegacyBridgeErrorCode } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Registry-only client ids (no legacy row possible): letters, digits and . _ : @ -, max 128. */
const PLAIN_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const MODULE_ID = /^[a-z0-9][a-z0-9._-]{0,213}$/;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A client id as hotmod keys it: uuids in lower case (PostgreSQL prints them so), other
 * ids as given. Throws E_CLIENT_ID_INVALID before anything reaches SQL.
 */
export function normalizeClientId(value: unknown, where: string): string {
  if (typeof value === 'string') {
    if (UUID.test(value)) return value.toLowerCase();
    if (PLAIN_ID.test(value)) return value;
  }
  throw new HotmodError(
    LegacyBridgeErrorCode.CLIENT_ID_INVALID,
    `${where}: client id '${preview(value)}' is not valid; use a uuid (legacy clients) or 1–128 letters, digits and . _ : @ -`,
    { clientId: preview(value) },
  );
}

/** The legacy table keys clients by uuid: anything else is refused with E_CLIENT_ID_INVALID. */
export function normalizeLegacyClientId(value: unknown, where: string): string {
  if (typeof value === 'string' && UUID.test(value)) return value.toLowerCase();
  throw new HotmodError(
    LegacyBridgeErrorCode.CLIENT_ID_INVALID,
    `${where}: client id '${preview(value)}' is not a uuid; client_app_overrides.client_id is a uuid referencing clients(id)`,
    { clientId: preview(value) },
  );
}

export function assertModuleId(value: unknown, where: string): string {
  if (typeof value === 'string' && MODULE_ID.test(value)) return value;
  throw new HotmodError(
    LegacyBridgeErrorCode.MODULE_ID_INVALID,
    `${where}: module id '${preview(value)}' is not valid; module ids match [a-z0-9][a-z0-9._-]* (see the package's hotmod.id)`,
    { moduleId: preview(value) },
  );
}

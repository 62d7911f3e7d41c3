import { HotmodError } from '../../errors.js';
import { LegacyBridgeErrorCode } from '../errors.js';

/** LISTEN takes an identifier, not a parameter: only plain lower-case names are accepted. */
export function assertChannelName(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new HotmodError(
      LegacyBridgeErrorCode.STORE_QUERY_FAILED,
      `store listen: channel name '${channel.slice(0, 80)}' is not a plain identifier; use lower-case letters, digits and '_'`,
      { channel: channel.slice(0, 80) },
    );
  }
}

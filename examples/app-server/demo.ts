/**
 * The demo data of the example server: the legacy tables and demo clients on first run
 * (what `hotmod db init --demo` does), on the store the host itself opened, and a call
 * worth printing as a curl command.
 */
import { tokens, type Host } from 'hotmod';
import { initLegacySchema, type Store } from '../../src/legacy-bridge/index.js';
import { legacyTableExists } from '../../src/legacy-bridge/legacy/legacyRepository.js';
import { DEMO_CLIENTS } from '../../src/legacy-bridge/legacy/legacySchema.js';

export interface DemoSetup {
  /** True when this run created the legacy tables and the demo clients. */
  created: boolean;
  /** The demo clients' ids (uuids), in DEMO_CLIENTS order. */
  clientIds: string[];
}

/**
 * First run: creates `clients` + `client_app_overrides` and the demo clients. Later runs
 * leave the tables as they are (edits made through the API survive a restart).
 */
export async function prepareDemoStore(host: Host): Promise<DemoSetup> {
  const clientIds = DEMO_CLIENTS.map((c) => c.id);
  if (!host.container.isRegistered(tokens.STORE)) return { created: false, clientIds: [] };
  const store = host.container.resolve(tokens.STORE) as Store;
  if (await legacyTableExists(store)) return { created: false, clientIds };
  await initLegacySchema(store, { demo: true });
  return { created: true, clientIds };
}

export interface DemoCall {
  clientId: string;
  capability: string;
  method: string;
  input: unknown;
}

/** A quote from billing for the first demo client that has billing (Acme Corp). */
export async function pickDemoCall(host: Host, clientIds: readonly string[]): Promise<DemoCall | undefined> {
  const input = { lines: [{ description: 'Pro plan', quantity: 2, unitPriceCents: 1500 }] };
  for (const clientId of [...clientIds, 'demo']) {
    const modules = await host.client(clientId).modules();
    if (modules.some((m) => m.moduleId === 'billing' && m.enabled)) {
      return { clientId, capability: 'billing.invoices', method: 'quote', input };
    }
  }
  return undefined;
}

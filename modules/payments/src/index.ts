// payments: charges and refunds in an in-memory ledger. The ledger is handed to the next
// version on a hot swap (deactivate -> ctx.previousState), so no charge is forgotten.
interface Entry {
  id: string;
  accountId: string | null;
  amountCents: number;
  currency: string;
  status: 'captured' | 'refunded';
  at: string;
}
interface Call {
  settings?: { maxChargeCents?: number };
  capability(name: string): Record<string, (input?: unknown) => Promise<any>>;
}
interface Ctx {
  module: { id: string; version: string };
  config?: { maxChargeCents?: number };
  previousState?: { ledger?: Entry[]; nextId?: number };
  log?: { info(msg: string, data?: unknown): void };
}

const ledger: Entry[] = [];
let nextId = 1;
let defaultMax = 1_000_000;

export async function activate(ctx: Ctx) {
  ledger.length = 0;
  ledger.push(...(ctx.previousState?.ledger ?? []));
  nextId = ctx.previousState?.nextId ?? ledger.length + 1;
  defaultMax = ctx.config?.maxChargeCents ?? defaultMax;
  ctx.log?.info(`payments ${ctx.module.version} active, ledger has ${ledger.length} entries`);
  return {
    'payments.charge': {
      async charge(input: { amountCents?: unknown; currency?: unknown; accountId?: unknown }, call: Call) {
        const amount = input?.amountCents;
        if (typeof amount !== 'number' || !Number.isInteger(amount) || amount <= 0) throw new Error('payments.charge: "amountCents" must be a positive integer');
        const max = call.settings?.maxChargeCents ?? defaultMax;
        if (amount > max) throw new Error(`payments.charge: ${amount} exceeds the limit of ${max} cents for this client`);
        const currency = typeof input.currency === 'string' ? input.currency.toUpperCase() : 'EUR';
        let accountId: string | null = null;
        if (input.accountId !== undefined) {
          accountId = String(input.accountId);
          const account = await call.capability('accounts.users').get({ id: accountId });
          if (!account) throw new Error(`payments.charge: no account ${accountId}`);
        }
        const entry: Entry = { id: `ch_${nextId++}`, accountId, amountCents: amount, currency, status: 'captured', at: new Date().toISOString() };
        ledger.push(entry);
        return entry;
      },
      async refund(input: { chargeId?: unknown }) {
        const entry = ledger.find((e) => e.id === input?.chargeId);
        if (!entry) throw new Error(`payments.charge: no charge ${String(input?.chargeId)}`);
        if (entry.status === 'refunded') throw new Error(`payments.charge: ${entry.id} is already refunded`);
        entry.status = 'refunded';
        return entry;
      },
      async ledger() {
        const captured = ledger.filter((e) => e.status === 'captured').reduce((sum, e) => sum + e.amountCents, 0);
        return { entries: ledger.slice(), capturedCents: captured };
      },
    },
  };
}

export async function deactivate() {
  return { ledger: ledger.slice(), nextId };
}

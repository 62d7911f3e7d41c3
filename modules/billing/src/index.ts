// billing: builds invoices (lines, tax, total in cents), charges them through
// payments.charge and reports them to analytics.track when that module is there.
interface Line {
  description: string;
  quantity: number;
  unitPriceCents: number;
}
interface Invoice {
  id: string;
  accountId: string | null;
  currency: string;
  lines: Line[];
  subtotalCents: number;
  taxCents: number;
  totalCents: number;
  chargeId: string;
  createdAt: string;
}
interface Call {
  clientId?: string;
  settings?: { currency?: string; taxRatePercent?: number };
  capability(name: string): Record<string, (input?: unknown) => Promise<any>>;
}
interface Ctx {
  module: { id: string; version: string };
  config?: { currency?: string; taxRatePercent?: number };
  previousState?: { invoices?: Invoice[]; nextId?: number };
  log?: { info(msg: string, data?: unknown): void; warn(msg: string, data?: unknown): void };
}

const invoices = new Map<string, Invoice>();
let nextId = 1;
let defaults = { currency: 'EUR', taxRatePercent: 0 };
let log: Ctx['log'];

function parseLines(value: unknown): Line[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error('billing.invoices: "lines" must be a non-empty array');
  return value.map((raw, i) => {
    const line = raw as Partial<Line>;
    if (typeof line.description !== 'string' || line.description === '') throw new Error(`billing.invoices: lines[${i}].description must be a string`);
    if (typeof line.quantity !== 'number' || !Number.isInteger(line.quantity) || line.quantity <= 0) throw new Error(`billing.invoices: lines[${i}].quantity must be a positive integer`);
    if (typeof line.unitPriceCents !== 'number' || !Number.isInteger(line.unitPriceCents) || line.unitPriceCents < 0)
      throw new Error(`billing.invoices: lines[${i}].unitPriceCents must be a whole number of cents`);
    return { description: line.description, quantity: line.quantity, unitPriceCents: line.unitPriceCents };
  });
}

/** Subtotal, tax (rounded half up to the cent) and total. */
function computeTotals(lines: readonly Line[], taxRatePercent: number) {
  const subtotalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  const taxCents = Math.round((subtotalCents * taxRatePercent) / 100);
  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}

export async function activate(ctx: Ctx) {
  invoices.clear();
  for (const inv of ctx.previousState?.invoices ?? []) invoices.set(inv.id, inv);
  nextId = ctx.previousState?.nextId ?? invoices.size + 1;
  defaults = { currency: ctx.config?.currency ?? 'EUR', taxRatePercent: ctx.config?.taxRatePercent ?? 0 };
  log = ctx.log;
  return {
    'billing.invoices': {
      async quote(input: { lines?: unknown }, call: Call) {
        const taxRate = call.settings?.taxRatePercent ?? defaults.taxRatePercent;
        return { currency: call.settings?.currency ?? defaults.currency, ...computeTotals(parseLines(input?.lines), taxRate) };
      },
      async create(input: { accountId?: unknown; lines?: unknown }, call: Call) {
        const lines = parseLines(input?.lines);
        const currency = call.settings?.currency ?? defaults.currency;
        const totals = computeTotals(lines, call.settings?.taxRatePercent ?? defaults.taxRatePercent);
        const accountId = typeof input.accountId === 'string' ? input.accountId : null;
        const charge = await call.capability('payments.charge').charge({
          amountCents: totals.totalCents,
          currency,
          ...(accountId ? { accountId } : {}),
        });
        const invoice: Invoice = { id: `inv_${nextId++}`, accountId, currency, lines, ...totals, chargeId: charge.id, createdAt: new Date().toISOString() };
        invoices.set(invoice.id, invoice);
        try {
          await call.capability('analytics.track').track({ event: 'invoice.created', props: { totalCents: invoice.totalCents, currency } });
        } catch {
          // analytics is optional: an invoice never fails because tracking is unavailable.
        }
        return invoice;
      },
      async get(input: { id?: unknown }) {
        return invoices.get(String(input?.id)) ?? null;
      },
      async list() {
        return [...invoices.values()];
      },
    },
  };
}

export async function deactivate() {
  log?.info(`billing hands over ${invoices.size} invoices`);
  return { invoices: [...invoices.values()], nextId };
}

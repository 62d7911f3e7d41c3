// modules/billing/src/index.ts
var invoices = /* @__PURE__ */ new Map();
var nextId = 1;
var defaults = { currency: "EUR", taxRatePercent: 0 };
var log;
function parseLines(value) {
  if (!Array.isArray(value) || value.length === 0) throw new Error('billing.invoices: "lines" must be a non-empty array');
  return value.map((raw, i) => {
    const line = raw;
    if (typeof line.description !== "string" || line.description === "") throw new Error(`billing.invoices: lines[${i}].description must be a string`);
    if (typeof line.quantity !== "number" || !Number.isInteger(line.quantity) || line.quantity <= 0) throw new Error(`billing.invoices: lines[${i}].quantity must be a positive integer`);
    if (typeof line.unitPriceCents !== "number" || !Number.isInteger(line.unitPriceCents) || line.unitPriceCents < 0)
      throw new Error(`billing.invoices: lines[${i}].unitPriceCents must be a whole number of cents`);
    return { description: line.description, quantity: line.quantity, unitPriceCents: line.unitPriceCents };
  });
}
function computeTotals(lines, taxRatePercent) {
  const subtotalCents = lines.reduce((sum, l) => sum + l.quantity * l.unitPriceCents, 0);
  const taxCents = Math.round(subtotalCents * taxRatePercent / 100);
  return { subtotalCents, taxCents, totalCents: subtotalCents + taxCents };
}
async function activate(ctx) {
  invoices.clear();
  for (const inv of ctx.previousState?.invoices ?? []) invoices.set(inv.id, inv);
  nextId = ctx.previousState?.nextId ?? invoices.size + 1;
  defaults = { currency: ctx.config?.currency ?? "EUR", taxRatePercent: ctx.config?.taxRatePercent ?? 0 };
  log = ctx.log;
  return {
    "billing.invoices": {
      async quote(input, call) {
        const taxRate = call.settings?.taxRatePercent ?? defaults.taxRatePercent;
        return { currency: call.settings?.currency ?? defaults.currency, ...computeTotals(parseLines(input?.lines), taxRate) };
      },
      async create(input, call) {
        const lines = parseLines(input?.lines);
        const currency = call.settings?.currency ?? defaults.currency;
        const totals = computeTotals(lines, call.settings?.taxRatePercent ?? defaults.taxRatePercent);
        const accountId = typeof input.accountId === "string" ? input.accountId : null;
        const charge = await call.capability("payments.charge").charge({
          amountCents: totals.totalCents,
          currency,
          ...accountId ? { accountId } : {}
        });
        const invoice = { id: `inv_${nextId++}`, accountId, currency, lines, ...totals, chargeId: charge.id, createdAt: (/* @__PURE__ */ new Date()).toISOString() };
        invoices.set(invoice.id, invoice);
        try {
          await call.capability("analytics.track").track({ event: "invoice.created", props: { totalCents: invoice.totalCents, currency } });
        } catch {
        }
        return invoice;
      },
      async get(input) {
        return invoices.get(String(input?.id)) ?? null;
      },
      async list() {
        return [...invoices.values()];
      }
    }
  };
}
async function deactivate() {
  log?.info(`billing hands over ${invoices.size} invoices`);
  return { invoices: [...invoices.values()], nextId };
}
export {
  activate,
  deactivate
};

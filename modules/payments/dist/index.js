// modules/payments/src/index.ts
var ledger = [];
var nextId = 1;
var defaultMax = 1e6;
async function activate(ctx) {
  ledger.length = 0;
  ledger.push(...ctx.previousState?.ledger ?? []);
  nextId = ctx.previousState?.nextId ?? ledger.length + 1;
  defaultMax = ctx.config?.maxChargeCents ?? defaultMax;
  ctx.log?.info(`payments ${ctx.module.version} active, ledger has ${ledger.length} entries`);
  return {
    "payments.charge": {
      async charge(input, call) {
        const amount = input?.amountCents;
        if (typeof amount !== "number" || !Number.isInteger(amount) || amount <= 0) throw new Error('payments.charge: "amountCents" must be a positive integer');
        const max = call.settings?.maxChargeCents ?? defaultMax;
        if (amount > max) throw new Error(`payments.charge: ${amount} exceeds the limit of ${max} cents for this client`);
        const currency = typeof input.currency === "string" ? input.currency.toUpperCase() : "EUR";
        let accountId = null;
        if (input.accountId !== void 0) {
          accountId = String(input.accountId);
          const account = await call.capability("accounts.users").get({ id: accountId });
          if (!account) throw new Error(`payments.charge: no account ${accountId}`);
        }
        const entry = { id: `ch_${nextId++}`, accountId, amountCents: amount, currency, status: "captured", at: (/* @__PURE__ */ new Date()).toISOString() };
        ledger.push(entry);
        return entry;
      },
      async refund(input) {
        const entry = ledger.find((e) => e.id === input?.chargeId);
        if (!entry) throw new Error(`payments.charge: no charge ${String(input?.chargeId)}`);
        if (entry.status === "refunded") throw new Error(`payments.charge: ${entry.id} is already refunded`);
        entry.status = "refunded";
        return entry;
      },
      async ledger() {
        const captured = ledger.filter((e) => e.status === "captured").reduce((sum, e) => sum + e.amountCents, 0);
        return { entries: ledger.slice(), capturedCents: captured };
      }
    }
  };
}
async function deactivate() {
  return { ledger: ledger.slice(), nextId };
}
export {
  activate,
  deactivate
};

// modules/analytics/src/index.ts
var counts = /* @__PURE__ */ new Map();
var perClient = /* @__PURE__ */ new Map();
async function activate(ctx) {
  counts.clear();
  perClient.clear();
  for (const [event, n] of Object.entries(ctx.previousState?.counts ?? {})) counts.set(event, n);
  return {
    "analytics.track": {
      async track(input, call) {
        if (typeof input?.event !== "string" || !/^[a-z0-9_.-]+$/i.test(input.event)) throw new Error('analytics.track: "event" must be a name like "invoice.created"');
        const n = (counts.get(input.event) ?? 0) + 1;
        counts.set(input.event, n);
        if (call?.clientId) perClient.set(call.clientId, (perClient.get(call.clientId) ?? 0) + 1);
        return { event: input.event, count: n };
      },
      async summary() {
        return { events: Object.fromEntries([...counts].sort()), clients: Object.fromEntries([...perClient].sort()) };
      }
    }
  };
}
async function deactivate() {
  return { counts: Object.fromEntries(counts) };
}
export {
  activate,
  deactivate
};

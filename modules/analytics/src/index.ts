// analytics: counts events per name (and per client); lazy, so it starts on the first track.
interface Call {
  clientId?: string;
}

const counts = new Map<string, number>();
const perClient = new Map<string, number>();

export async function activate(ctx: { previousState?: { counts?: Record<string, number> } }) {
  counts.clear();
  perClient.clear();
  for (const [event, n] of Object.entries(ctx.previousState?.counts ?? {})) counts.set(event, n);
  return {
    'analytics.track': {
      async track(input: { event?: unknown }, call: Call) {
        if (typeof input?.event !== 'string' || !/^[a-z0-9_.-]+$/i.test(input.event)) throw new Error('analytics.track: "event" must be a name like "invoice.created"');
        const n = (counts.get(input.event) ?? 0) + 1;
        counts.set(input.event, n);
        if (call?.clientId) perClient.set(call.clientId, (perClient.get(call.clientId) ?? 0) + 1);
        return { event: input.event, count: n };
      },
      async summary() {
        return { events: Object.fromEntries([...counts].sort()), clients: Object.fromEntries([...perClient].sort()) };
      },
    },
  };
}

export async function deactivate() {
  return { counts: Object.fromEntries(counts) };
}

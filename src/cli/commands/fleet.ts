import { DEFAULT_STALE_AFTER, listArtifacts, pruneStaleHosts, readFleet, type ArtifactSummary, type FleetView } from '../../fleet/index.js';
import { DEFAULT_STORE_URL, openStore } from '../../legacy-bridge/index.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { printJson, table, type CliIO } from '../io.js';
import type { Command } from '../command.js';

const USAGE = `hotmod fleet [--store URL] [--stale-after N] [--artifacts] [--prune] [--json]

  Every host with a heartbeat in the store: id, pid, machine, when last seen, what it
  serves (module@versions, rollout stage); a host silent for N heartbeat intervals
  (default ${DEFAULT_STALE_AFTER}) is marked stale. --artifacts also lists the published artifacts;
  --prune deletes the rows of stale hosts (a host that died without stopping) first.
  --store   default ${DEFAULT_STORE_URL}; the fleet's postgres://…`;

export const command: Command = {
  summary: 'List the hosts serving from the store (live and stale) and what each serves',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { values: ['store', 'stale-after'], booleans: ['artifacts', 'prune'] });
    if (args.positionals.length > 0) throw new UsageError(`unexpected argument '${args.positionals[0]}'`);
    const staleText = stringFlag(args, 'stale-after');
    const staleAfter = staleText === undefined ? DEFAULT_STALE_AFTER : Number(staleText);
    if (!(staleAfter > 0) || !Number.isFinite(staleAfter)) throw new UsageError(`--stale-after must be a number of heartbeat intervals above 0, got '${staleText}'`);
    const store = await openStore(stringFlag(args, 'store') ?? DEFAULT_STORE_URL);
    try {
      const pruned = args.flags.prune === true ? await pruneStaleHosts(store, staleAfter) : undefined;
      const view = await readFleet(store, { staleAfter });
      const artifacts = args.flags.artifacts === true ? await listArtifacts(store) : undefined;
      if (args.flags.json) printJson(io, { store: store.displayUrl, ...view, ...(artifacts ? { artifacts } : {}), ...(pruned ? { pruned } : {}) });
      else io.out((pruned ? `pruned ${pruned.length} stale host${pruned.length === 1 ? '' : 's'}${pruned.length ? `: ${pruned.join(', ')}` : ''}\n` : '') + renderFleet(view, store.displayUrl, artifacts));
      return 0;
    } finally {
      await store.close();
    }
  },
};

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);

export function renderFleet(view: FleetView, where: string, artifacts?: readonly ArtifactSummary[]): string {
  const lines = [`fleet on ${where}: ${view.live} live, ${view.stale} stale (stale after ${view.staleAfter} missed heartbeats)`];
  if (view.hosts.length === 0) lines.push('', 'no host has a heartbeat here: start hosts with the fleet option (docs/fleet.md)');
  else {
    const rows = view.hosts.map((h) => [
      h.hostId,
      h.stale ? 'STALE' : 'live',
      String(h.pid),
      `${seconds(h.ageMs)} ago`,
      Object.entries(h.modules)
        .map(([id, m]) => `${id}@${m.versions.join('+')}${m.rolloutStage === null ? '' : ` (${m.rolloutStage}%)`}`)
        .join(', ') || '(nothing)',
    ]);
    lines.push('', table(['HOST', 'STATE', 'PID', 'LAST SEEN', 'SERVES'], rows));
  }
  if (artifacts) {
    lines.push('', artifacts.length === 0 ? 'no artifacts published' : table(['ARTIFACT', 'SHA256', 'PUBLISHED BY', 'AT'], artifacts.map((a) => [`${a.id}@${a.version}${a.staged ? ' (staged)' : ''}`, a.contentSha256.slice(0, 12), a.publishedBy, a.publishedAt])));
  }
  return lines.join('\n');
}

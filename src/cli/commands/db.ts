import { DEFAULT_STORE_URL, initLegacySchema, openStore } from '../../legacy-bridge/index.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { printJson, type CliIO } from '../io.js';
import type { Command } from '../command.js';

const USAGE = `hotmod db init [--demo] [--store URL] [--json]

  init      applies hotmod's schema migrations (hotmod_* tables), creates clients and
            client_app_overrides when absent (existing tables are used as they are) and
            puts the change trigger on client_app_overrides
  --demo    also inserts demo clients (some with bad legacy data, see docs/legacy-bridge.md)
  --store   default ${DEFAULT_STORE_URL} (relative to the working directory), 'memory' or postgres://…`;

export const command: Command = {
  summary: 'Create the legacy tables (and demo clients) and apply hotmod schema migrations',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { values: ['store'], booleans: ['demo'] });
    const [sub, ...rest] = args.positionals;
    if (sub !== 'init') throw new UsageError(sub === undefined ? 'missing subcommand (init)' : `unknown subcommand '${sub}' (init)`);
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const url = stringFlag(args, 'store') ?? DEFAULT_STORE_URL;
    const store = await openStore(url);
    try {
      const report = await initLegacySchema(store, { demo: args.flags.demo === true });
      const { rows } = await store.query<{ component: string; version: number }>(
        'SELECT component, max(version)::int AS version FROM hotmod_schema_migrations GROUP BY component ORDER BY component',
      );
      if (args.flags.json) {
        printJson(io, { store: store.displayUrl, ...report, schema: Object.fromEntries(rows.map((r) => [r.component, r.version])) });
        return 0;
      }
      const lines = [`store ${store.displayUrl}: hotmod schema ${rows.map((r) => `${r.component} v${r.version}`).join(', ')}`];
      lines.push(report.created.length > 0 ? `created ${report.created.join(', ')}` : 'clients and client_app_overrides exist: used as they are');
      if (report.triggerAdded) lines.push('added the change trigger (NOTIFY hotmod_client_changes) on client_app_overrides');
      if (args.flags.demo) {
        lines.push(report.demoClients.length > 0 ? `inserted ${report.demoClients.length} demo clients: ${report.demoClients.join(', ')}` : 'demo clients exist already');
        if (report.demoClients.length > 0) lines.push(`try: hotmod clients show ${report.demoClients[0]}${url === DEFAULT_STORE_URL ? '' : ` --store ${store.displayUrl}`}`);
      }
      io.out(lines.join('\n'));
      return 0;
    } finally {
      await store.close();
    }
  },
};

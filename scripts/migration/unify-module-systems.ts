/**
 * The seed's migration script: `npx tsx scripts/migration/unify-module-systems.ts [plan|run|verify|rollback] …`.
 * The same code as `hotmod migrate` (src/cli/commands/migrate.ts); without a subcommand it
 * runs the five phases (analysis, validation, backup, migration, verification), or with
 * --dry-run the first two. Options: see --help or docs/migration.md.
 */
import { main } from '../../src/cli/main.js';

const argv = process.argv.slice(2);
const subcommands = new Set(['plan', 'run', 'verify', 'rollback']);
const withSub = argv.some((a) => subcommands.has(a)) ? argv : ['run', ...argv];
process.exitCode = await main(['migrate', ...withSub]);

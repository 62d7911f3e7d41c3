import { UsageError } from './args.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type Command } from './command.js';
import { type CliIO, processIO, formatError, errorJson, printJson } from './io.js';

type CommandLoader = () => Promise<{ command: Command }>;

// One file per command under ./commands; loaded on demand so `hotmod ls` never pays
// for isolated-vm, PGlite or chokidar.
const commands: Record<string, CommandLoader> = {
  dev: () => import('./commands/dev.js'),
  start: () => import('./commands/start.js'),
  ls: () => import('./commands/ls.js'),
  check: () => import('./commands/check.js'),
  resolve: () => import('./commands/resolve.js'),
  new: () => import('./commands/new.js'),
  build: () => import('./commands/build.js'),
  migrate: () => import('./commands/migrate.js'),
  clients: () => import('./commands/clients.js'),
  db: () => import('./commands/db.js'),
  publish: () => import('./commands/publish.js'),
  fleet: () => import('./commands/fleet.js'),
  rollout: () => import('./commands/rollout.js'),
};

async function helpText(): Promise<string> {
  const lines = ['hotmod — hot-module runtime host', '', 'Usage: hotmod <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    try {
      const { command } = await load();
      lines.push(`  ${name.padEnd(9)} ${command.summary}`);
    } catch {
      lines.push(`  ${name.padEnd(9)} (not available in this build)`);
    }
  }
  lines.push('', 'Every command takes --json for scripts and --help for its options.');
  lines.push('Exit codes: 0 ok, 1 failure, 2 usage.');
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.out(await helpText());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  if (name === '--version' || name === '-v') {
    const { HOTMOD_VERSION } = await import('../version.js');
    io.out(HOTMOD_VERSION);
    return EXIT_OK;
  }
  const load = commands[name];
  if (!load) {
    io.err(`hotmod: unknown command '${name}'. Run 'hotmod help' for the list.`);
    return EXIT_USAGE;
  }
  const { command } = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`${command.summary}\n\nUsage: ${command.usage}`);
    return EXIT_OK;
  }
  const json = rest.includes('--json');
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`hotmod ${name}: ${error.message}\nUsage: ${command.usage}`);
      return EXIT_USAGE;
    }
    if (json) printJson(io, errorJson(error));
    else io.err(formatError(error));
    return EXIT_FAILURE;
  }
}

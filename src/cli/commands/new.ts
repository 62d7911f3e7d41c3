import path from 'node:path';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { formatBytes, printJson, type CliIO } from '../io.js';
import type { Command } from '../command.js';
import { scaffoldModule } from '../../runtime/index.js';

export const command: Command = {
  summary: 'Scaffold a module package (manifest, src/index.ts, built dist/) that passes check and runs',
  usage: 'hotmod new <id> [--dir MODULES_DIR] [--json]   (MODULES_DIR defaults to ./modules; --modules is an alias of --dir)',
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { values: ['dir', 'modules'] });
    const [id, ...extra] = args.positionals;
    if (id === undefined) throw new UsageError('missing the module id');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const modulesDir = stringFlag(args, 'dir') ?? stringFlag(args, 'modules') ?? 'modules';
    const result = await scaffoldModule({ modulesDir, id });
    if (args.flags.json) {
      printJson(io, result);
      return 0;
    }
    const shown = path.relative(process.cwd(), result.dir) || '.';
    const lines = [`created ${shown}/ (module '${result.id}', provides ${result.capability} 1.0.0)`];
    for (const file of result.files) lines.push(`  ${file.path.padEnd(16)} ${formatBytes(file.bytes)}`);
    lines.push(
      '',
      'next:',
      `  hotmod check ${shown}`,
      `  hotmod dev --modules ${path.relative(process.cwd(), path.dirname(result.dir)) || '.'}   (edits to src/ rebuild and swap in)`,
    );
    io.out(lines.join('\n'));
    return 0;
  },
};

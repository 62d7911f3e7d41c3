import os from 'node:os';
import path from 'node:path';
import { publishArtifact, readArtifactDir, type PublishResult } from '../../fleet/index.js';
import { DEFAULT_STORE_URL, openStore } from '../../legacy-bridge/index.js';
import { bundleModule, findSourceEntry } from '../../runtime/index.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { formatBytes, printJson, type CliIO } from '../io.js';
import type { Command } from '../command.js';

const USAGE = `hotmod publish <dir> [--staged] [--store URL] [--by NAME] [--no-build] [--json]

  Validates the module's manifest, bundles src/ with esbuild (as hotmod build; --no-build
  publishes the dist/ that is there) and stores the artifact (manifest, bundle, source
  map, sha256, who and when) in the store's hotmod_artifacts table. Hosts started with
  the fleet option serve it at once (docs/fleet.md).
  Publishing the same bytes again changes nothing ("unchanged"); other bytes under a
  published version are refused (E_ARTIFACT_VERSION_EXISTS): bump the version.
  --staged  hosts fetch and catalog it but serve it to nobody until a rollout of this
            version starts (hotmod rollout start <id>@<version>): the rollout's stages pick
            its clients, promote serves it to everyone (docs/fleet.md "Staged publish")
  --store   default ${DEFAULT_STORE_URL}; several hosts share postgres://…
  --by      who publishes (default user@hostname)`;

export const command: Command = {
  summary: 'Publish a module version to the store: every host in the fleet serves it',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, { values: ['store', 'by'], booleans: ['no-build', 'staged'] });
    const [target, ...extra] = args.positionals;
    if (target === undefined) throw new UsageError('missing the module folder to publish');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const json = args.flags.json === true;
    const dir = path.resolve(target);
    const progress = (line: string) => {
      if (!json) io.err(line);
    };
    if (args.flags['no-build'] !== true && (await findSourceEntry(dir)) !== undefined) {
      progress(`building ${path.relative(process.cwd(), dir) || '.'}…`);
      await bundleModule(dir, { sourcemap: 'file' });
    }
    const input = { ...(await readArtifactDir(dir, stringFlag(args, 'by') ?? defaultPublisher())), staged: args.flags.staged === true };
    const store = await openStore(stringFlag(args, 'store') ?? DEFAULT_STORE_URL);
    let result: PublishResult;
    try {
      progress(`publishing to ${store.displayUrl}…`);
      result = await publishArtifact(store, input, dir);
    } finally {
      await store.close();
    }
    if (json) printJson(io, result);
    else io.out(renderPublish(result));
    return 0;
  },
};

export function renderPublish(r: PublishResult): string {
  const what = `${r.id}@${r.version}`;
  if (r.status === 'unchanged') return `${what} unchanged: these bytes were published by ${r.publishedBy} at ${r.publishedAt} (sha256 ${r.contentSha256.slice(0, 12)}); nothing written`;
  const staged = r.staged ? '  staged: served to nobody until hotmod rollout start ' + what : '';
  return `published ${what}  ${formatBytes(r.bundleBytes)}  sha256 ${r.contentSha256.slice(0, 12)}  #${r.seq} by ${r.publishedBy}${staged}`;
}

function defaultPublisher(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment's word.
  }
  return `${user}@${os.hostname()}`;
}

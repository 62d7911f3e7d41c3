import { compare } from 'semver';
import { HotmodError } from '../../errors.js';
import { DEFAULT_STORE_URL, openStore, type Store } from '../../legacy-bridge/index.js';
import { scanCatalog } from '../../registry/index.js';
import { createRolloutApi, FleetErrorCode, formatRolloutStatus, listArtifacts, parseTarget, type RolloutStatus } from '../../fleet/index.js';
import { parseArgs, stringFlag, UsageError } from '../args.js';
import { printJson, type CliIO } from '../io.js';
import type { Command } from '../command.js';

const USAGE = `hotmod rollout start <id>@<version> [--stages 1,10,50,100] [--bake 5m] [--max-error-rate 1%] [--max-p99 200ms]
                      [--min-calls 20] [--clients a,b] [--allow-stateful] [--from VERSION] [--modules DIR]
       hotmod rollout status [<rollout id>|<module id>]
       hotmod rollout promote|pause|resume <rollout id>|<module id>
       hotmod rollout abort <rollout id>|<module id> [--reason TEXT]
  every form takes --store URL (default ${DEFAULT_STORE_URL}; postgres://… for a fleet) and --json

  start     records a rollout in the store; every host with rollouts on begins it at its next poll
            (docs/rollouts.md). The version must be in --modules DIR (default ./modules) or published
            to the store (hotmod publish --staged) when either has the module; --from defaults to the
            highest other version there
  status    one rollout (stage, bake left, fleet health per version, reason, history) or all of them
  promote   the next stage now; past the last stage the new version replaces the old everywhere
  pause     holds the stage (an over-budget version is still rolled back); resume continues
  abort     every client back to the old version, the new one unloads on every host`;

export const command: Command = {
  summary: 'Staged rollouts across the hosts on one PostgreSQL: start, status, promote, pause, resume, abort',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    const args = parseArgs(argv, {
      values: ['store', 'stages', 'bake', 'max-error-rate', 'max-p99', 'min-calls', 'clients', 'from', 'modules', 'reason'],
      booleans: ['allow-stateful'],
    });
    const [sub, target, ...rest] = args.positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}'`);
    const ops = ['start', 'status', 'promote', 'pause', 'resume', 'abort'];
    if (sub === undefined || !ops.includes(sub)) throw new UsageError(sub === undefined ? `missing subcommand (${ops.join(', ')})` : `unknown subcommand '${sub}' (${ops.join(', ')})`);
    if (target === undefined && sub !== 'status') throw new UsageError(sub === 'start' ? 'missing <id>@<version>' : 'missing the rollout id (or module id)');
    const store = await openStore(stringFlag(args, 'store') ?? DEFAULT_STORE_URL);
    try {
      const api = createRolloutApi(store, `cli:${process.env.USER ?? 'operator'}`);
      let result: RolloutStatus | RolloutStatus[];
      switch (sub) {
        case 'start': {
          const { moduleId, version } = parseTarget(target!);
          const from = stringFlag(args, 'from') ?? (await fromVersion(store, stringFlag(args, 'modules') ?? 'modules', moduleId, version, io));
          const minCalls = stringFlag(args, 'min-calls');
          if (minCalls !== undefined && !/^\d+$/.test(minCalls)) throw new UsageError(`--min-calls needs a whole number, got '${minCalls}'`);
          const opt = (name: string) => stringFlag(args, name);
          result = await api.start({
            moduleId,
            version,
            ...(from !== undefined ? { fromVersion: from } : {}),
            ...(opt('stages') !== undefined ? { stages: opt('stages')! } : {}),
            ...(opt('bake') !== undefined ? { bake: opt('bake')! } : {}),
            ...(opt('max-error-rate') !== undefined ? { maxErrorRate: opt('max-error-rate')! } : {}),
            ...(opt('max-p99') !== undefined ? { maxP99: opt('max-p99')! } : {}),
            ...(minCalls !== undefined ? { minCalls: Number(minCalls) } : {}),
            ...(opt('clients') !== undefined ? { clients: opt('clients')!.split(',').map((c) => c.trim()).filter(Boolean) } : {}),
            allowStateful: args.flags['allow-stateful'] === true,
          });
          break;
        }
        case 'status':
          result = target === undefined ? await api.list() : await api.status(target);
          break;
        case 'abort':
          result = await api.abort(target!, stringFlag(args, 'reason'));
          break;
        default:
          result = await api[sub as 'promote' | 'pause' | 'resume'](target!);
      }
      if (args.flags.json) printJson(io, Array.isArray(result) ? { rollouts: result } : result);
      else if (Array.isArray(result)) io.out(result.length === 0 ? 'no rollouts in the store' : result.map(formatRolloutStatus).join('\n\n'));
      else io.out(formatRolloutStatus(result));
      return 0;
    } finally {
      await store.close();
    }
  },
};

/**
 * The version the rollout starts from: the highest other version of the module in the
 * modules directory or published to the store (hotmod publish, --staged or not).
 */
async function fromVersion(store: Store, modulesDir: string, moduleId: string, version: string, io: CliIO): Promise<string | undefined> {
  const scan = await scanCatalog(modulesDir);
  const published = (await listArtifacts(store)).filter((a) => a.id === moduleId).map((a) => a.version);
  const versions = [...new Set([...scan.packages.filter((p) => p.manifest.id === moduleId).map((p) => p.manifest.version), ...published])];
  if (versions.length === 0) {
    io.err(`note: neither ${modulesDir} nor the store has a package of '${moduleId}'; the hosts check that they have ${moduleId}@${version} when they begin the rollout`);
    return undefined;
  }
  if (!versions.includes(version))
    throw new HotmodError(
      FleetErrorCode.ROLLOUT_VERSION_UNKNOWN,
      `${modulesDir} has versions ${versions.join(', ')} of '${moduleId}', not ${version}${published.length ? ` (published: ${published.join(', ')})` : ''}; put its folder there or publish it (hotmod publish --staged), or name one of these`,
      { moduleId, version, versions },
    );
  return versions.filter((v) => v !== version).sort(compare).at(-1);
}

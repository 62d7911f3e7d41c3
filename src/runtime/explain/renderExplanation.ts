/**
 * An explanation as short sentences, one per fact, for people (the CLI, the console);
 * `--json` and the route give the facts themselves.
 */
import type { ExplainAction, ExplainFact, Explanation, RolloutFact } from './facts.js';

const LIST_STATE: Record<'absent' | 'null' | 'unreadable' | 'list', string> = {
  absent: 'The client has no client_app_overrides row.',
  null: 'Its legacy list (modules_enabled) is NULL.',
  unreadable: 'Its legacy list (modules_enabled) is not a JSON array, so it is ignored.',
  list: '',
};

/** One sentence for one fact. */
const ROLLOUT_WHY: Record<RolloutFact['why'], (f: RolloutFact) => string> = {
  named: () => 'the rollout names this client',
  cohort: (f) => `its bucket ${f.bucket} of 10000 is in the first ${f.percent} %`,
  'not-yet': (f) => `its bucket ${f.bucket} of 10000 is not in the first ${f.percent} % yet`,
  'not-on-this-host': (f) => `the rollout picks it, but ${f.toVersion} does not run on this host`,
};

export function describeFact(fact: ExplainFact, e: Pick<Explanation, 'clientId' | 'moduleId'>): string {
  const id = e.moduleId;
  switch (fact.kind) {
    case 'catalog':
      return `The catalog has ${id}@${fact.version} (${fact.packageName}, ${fact.defaultEnabled ? 'enabled' : 'not enabled'} by default${fact.legacyIds.length > 0 ? `, legacy ids ${fact.legacyIds.join(', ')}` : ''}).`;
    case 'no-package':
      return `No package in the catalog has the id or legacy id '${id}'${fact.recordedBy.length > 0 ? `, though the ${fact.recordedBy.join(' and the ')} name${fact.recordedBy.length > 1 ? '' : 's'} it` : ''}${fact.nearest.length > 0 ? `; did you mean ${fact.nearest.join(', ')}?` : '.'}`;
    case 'legacy-list':
      return fact.state === 'list' ? `Its legacy list (modules_enabled) has ${fact.entries} entr${fact.entries === 1 ? 'y' : 'ies'} and is the base set.` : LIST_STATE[fact.state];
    case 'legacy-entry':
      return fact.alias ? `Entry ${fact.index} '${fact.entry}' is a legacy id of ${id}: it names it.` : `Entry ${fact.index} '${fact.entry}' names it.`;
    case 'legacy-near-miss':
      return `Entry ${fact.index} '${fact.entry}' differs from '${id}' ${fact.problem === 'case' ? 'in case' : 'by stray whitespace'}: ids match exactly, so it does not enable it.`;
    case 'legacy-not-named':
      return `The list does not name ${id}.`;
    case 'catalog-default':
      return `So the catalog default applies: ${fact.defaultEnabled ? 'enabled' : 'not enabled'}.`;
    case 'registry-row':
      return `A hotmod_module_configs row (source ${fact.source}${fact.migratedAt ? `, migrated ${fact.migratedAt}` : ', not migrated'}) ${fact.enabled ? 'enables' : 'disables'} it${fact.conflict ? `, against the legacy list (${fact.conflict}): the row wins` : ''}.`;
    case 'implicit':
      return `${fact.chain.join(' → ')}: ${fact.requiredBy} requires ${fact.need}, so ${id} is pulled in${fact.overridesRow ? ' although its row disables it (C_REQUIRED_BUT_DISABLED)' : ''}.`;
    case 'requirement-unbound':
      return `It requires ${fact.need}, which nothing in the catalog provides in a version the resolver can bind.`;
    case 'configured':
      return fact.effective
        ? `${id} is ${fact.explicit ? 'enabled' : 'enabled implicitly'} for client ${e.clientId} and runnable (source ${fact.source}).`
        : fact.enabled
          ? `${id} is enabled for client ${e.clientId} but not runnable (source ${fact.source}).`
          : `${id} is not enabled for client ${e.clientId}.`;
    case 'config-source':
      return `The host's configuration source '${fact.source}' ${fact.enabled ? (fact.implicit ? 'enables it implicitly' : 'enables it') : 'does not enable it'}.`;
    case 'provider':
      return fact.state === 'absent'
        ? `Its requirement ${fact.capability} is bound to ${fact.providerId}, which the host does not run.`
        : `Its requirement ${fact.capability} is bound to ${fact.providerId} (${fact.state}).`;
    case 'lifecycle': {
      const parts = [`${id}@${fact.version} is ${fact.state}`];
      if (fact.swappingTo !== undefined) parts.push(`, swapping to ${fact.swappingTo}${fact.holdingCalls ? ' (calls held)' : ''}`);
      if (fact.dependency !== undefined) parts.push(` because ${fact.dependency} failed`);
      if (fact.quarantined) parts.push(', quarantined');
      if (fact.nextRestartAt !== undefined) parts.push(`, restart at ${fact.nextRestartAt}`);
      if (fact.restarts > 0) parts.push(` (${fact.restarts} restart${fact.restarts === 1 ? '' : 's'})`);
      if (fact.reason !== undefined && fact.dependency === undefined) parts.push(`: ${fact.code ? `${fact.code} ` : ''}${fact.reason}`);
      return `${parts.join('')}.`;
    }
    case 'last-failure':
      return `Its last failure (${fact.event}) was at ${fact.at}: ${fact.code} ${fact.message}`;
    case 'routing':
      return fact.servedBy === null
        ? `This client's calls to ${fact.capability} reach no module (none of its providers is effective for the client).`
        : fact.servedBy === id
          ? `This client's calls to ${fact.capability} reach ${id}.`
          : `This client's calls to ${fact.capability} reach ${fact.servedBy}, which comes first in the resolver's order.`;
    case 'rollout':
      return `Rollout ${fact.rolloutId} (${fact.fromVersion} → ${fact.toVersion}, ${fact.state}${fact.stage === null ? '' : ` stage ${fact.stage}`} at ${fact.percent} %) gives this client ${fact.version}: ${ROLLOUT_WHY[fact.why](fact)}.`;
    case 'no-host':
      return 'No running host was asked: the lifecycle state is not known here (ask the running server).';
    case 'host-phase':
      return `The host is ${fact.phase}, not running.`;
    case 'verdict':
      return fact.serves ? `So ${id}${fact.version ? `@${fact.version}` : ''} serves client ${e.clientId}.` : `So ${id} does not serve client ${e.clientId}.`;
    case 'action':
      return `To change that: ${describeAction(fact.action)}.`;
    default: {
      const never: never = fact;
      return String(never);
    }
  }
}

export function describeAction(action: ExplainAction): string {
  switch (action.type) {
    case 'enable':
      return `${action.command} (or ${action.api})`;
    case 'install-package':
      return `add a package with hotmod.id (or legacyIds) '${action.moduleId}' to the modules directory`;
    case 'add-provider':
      return `add a package that provides ${action.need}`;
    case 'fix-and-swap':
      return `fix ${action.moduleId}, then swap it in (${action.command}, or save it under hotmod dev)`;
    case 'wait-for-restart':
      return `nothing: a restart is scheduled at ${action.at}`;
    case 'edit-config':
      return `enable it in the host's configuration source '${action.source}' (hotmod.config.json: clients.<id>.modules)`;
    case 'start-host':
      return 'start the host (or ask the running one)';
    default: {
      const never: never = action;
      return String(never);
    }
  }
}

/** The whole chain, one sentence a line. */
export function renderExplanation(e: Explanation): string {
  const head = `why ${e.moduleId}${e.asked !== e.moduleId ? ` (asked as '${e.asked}')` : ''} for client ${e.clientId}:`;
  return [head, ...e.facts.map((f) => `  ${describeFact(f, e)}`).filter((line) => line.trim() !== '')].join('\n');
}

/**
 * `hotmod clients why <client> <module>`: the chain of facts that decides whether the
 * module serves the client (host.explain; docs/legacy-bridge.md "Explanations").
 *
 * Without --url it reads the store and the modules directory as `clients show` does: the
 * configuration facts and the resolution, but no lifecycle (no host runs here). With --url
 * it asks a running server's route (`GET <url>/clients/:id/modules/:moduleId/explain`),
 * which adds the module table, the routing and the last failure.
 */
import { HotmodError } from '../../errors.js';
import { DEFAULT_STORE_URL, loadCatalogView, ModuleSystemUnifier, normalizeClientId, openStore } from '../../legacy-bridge/index.js';
import { explainModule, renderExplanation, type Explanation } from '../../runtime/index.js';
import { stringFlag, type ParsedArgs } from '../args.js';
import { printJson, type CliIO } from '../io.js';
import { CliErrorCode } from '../errors.js';

async function explainOffline(clientId: string, moduleId: string, args: ParsedArgs): Promise<Explanation> {
  const { catalog } = await loadCatalogView(stringFlag(args, 'modules') ?? 'modules');
  const store = await openStore(stringFlag(args, 'store') ?? DEFAULT_STORE_URL);
  const unifier = new ModuleSystemUnifier(store, { catalog: () => catalog });
  try {
    const state = await unifier.getClientState(clientId);
    return explainModule({ clientId: normalizeClientId(clientId, 'hotmod clients why'), moduleId, catalog, config: { kind: 'bridge', state } });
  } finally {
    unifier.dispose();
    await store.close();
  }
}

async function explainRemote(base: string, clientId: string, moduleId: string): Promise<Explanation> {
  const url = `${base.replace(/\/+$/, '')}/clients/${encodeURIComponent(clientId)}/modules/${encodeURIComponent(moduleId)}/explain`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new HotmodError(CliErrorCode.SERVER_UNREACHABLE, `hotmod clients why: could not reach ${url} (${(error as Error).message}); check --url (the server's routes prefix included)`, { url }, { cause: error });
  }
  const body = (await response.json().catch(() => null)) as (Explanation & { error?: { code: string; message: string } }) | null;
  if (!response.ok || body === null || body.error) {
    throw new HotmodError(CliErrorCode.SERVER_UNREACHABLE, `hotmod clients why: ${url} answered ${response.status}${body?.error ? ` ${body.error.code}: ${body.error.message}` : ''}`, { url, status: response.status });
  }
  return body;
}

export async function runWhy(args: ParsedArgs, clientId: string, moduleId: string, io: CliIO): Promise<number> {
  const url = stringFlag(args, 'url');
  const explanation = url !== undefined ? await explainRemote(url, clientId, moduleId) : await explainOffline(clientId, moduleId, args);
  if (args.flags.json) printJson(io, { clientId: explanation.clientId, moduleId: explanation.moduleId, asked: explanation.asked, serves: explanation.serves, version: explanation.version, facts: explanation.facts });
  else io.out(renderExplanation(explanation));
  return 0;
}

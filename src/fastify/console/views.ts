/**
 * The console's pages, rendered on the server from the host's state: the modules list, one
 * module, a client's unified view with the explanation of each module, migration runs, and
 * the event stream. console.js (assets.ts) keeps them live over the hub's stream; the
 * `data-module` / `data-field` attributes are what it updates.
 */
import { describeFact, type Explanation, type ModuleMigrationProgress, type ModuleStatus, type UnifiedModuleConfig } from '../../index.js';
import { esc, formatBytes, formatMs, formatPercent, formatTime, page } from './html.js';
import type { ConsoleRunState } from './migrations.js';
import type { ModuleRow } from './moduleRows.js';
import type { ConsoleEvent } from './sse.js';

function stateCell(row: Pick<ModuleRow, 'state' | 'holdingCalls'>): string {
  return `${esc(row.state)}${row.holdingCalls ? ' (holding calls)' : ''}`;
}

function heap(row: ModuleRow): string {
  return row.heapUsedBytes === null ? '—' : `${formatBytes(row.heapUsedBytes)} / ${formatBytes(row.heapLimitBytes)}`;
}

/** The cells console.js updates, by field name. */
function fields(row: ModuleRow): Record<string, string> {
  return {
    state: stateCell(row),
    version: esc(row.version),
    activatedAt: esc(formatTime(row.activatedAt) + (row.activatedAt !== null && row.activationMs !== null ? ` (in ${Math.round(row.activationMs)} ms)` : '')),
    calls: String(row.calls),
    errorRate: formatPercent(row.errorRate),
    p50: formatMs(row.p50),
    p99: formatMs(row.p99),
    heap: esc(heap(row)),
  };
}

const COLUMNS: readonly [string, string][] = [
  ['state', 'State'],
  ['version', 'Version'],
  ['activatedAt', 'Activated'],
  ['calls', 'Calls'],
  ['errorRate', 'Error rate'],
  ['p50', 'p50'],
  ['p99', 'p99'],
  ['heap', 'Heap / limit'],
];

export function modulesPage(base: string, rows: readonly ModuleRow[]): string {
  const body = rows
    .map((r) => {
      const f = fields(r);
      return `<tr data-module="${esc(r.id)}" data-state="${esc(r.state)}"><td><a href="${esc(base)}/modules/${encodeURIComponent(r.id)}">${esc(r.id)}</a></td>${COLUMNS.map(([k]) => `<td data-field="${k}">${f[k]}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return page(
    base,
    'modules',
    'Modules',
    `<p class="hint">Updated live every second over server-sent events.</p>
<table id="modules"><thead><tr><th>Module</th>${COLUMNS.map(([, label]) => `<th>${label}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody></table>`,
  );
}

function record(value: Record<string, string>, link?: (v: string) => string): string {
  const entries = Object.entries(value);
  if (entries.length === 0) return '<span class="none">none</span>';
  return entries.map(([k, v]) => `<code>${esc(k)}</code> ${link ? link(v) : esc(v)}`).join('<br>');
}

export function modulePage(base: string, status: ModuleStatus, row: ModuleRow, all: readonly ModuleStatus[], failures: readonly ConsoleEvent[], manifest: object | undefined): string {
  const link = (id: string) => `<a href="${esc(base)}/modules/${encodeURIComponent(id)}">${esc(id)}</a>`;
  const byId = new Map(all.map((s) => [s.id, s]));
  const requirements = Object.entries(status.requires)
    .map(([cap, range]) => {
      const provider = status.bindings[cap];
      const state = provider ? (byId.get(provider)?.state ?? 'absent') : 'not bound';
      return `<tr><td><code>${esc(cap)}</code></td><td>${esc(range)}</td><td>${provider ? link(provider) : '<span class="bad">none</span>'}</td><td class="state-${esc(state)}">${esc(state)}</td></tr>`;
    })
    .join('');
  const dependents = all.filter((s) => s.id !== status.id && Object.values(s.bindings).includes(status.id));
  const f = fields(row);
  return page(
    base,
    'module',
    `Module ${status.id}`,
    `<section class="summary" data-module="${esc(status.id)}">
${COLUMNS.map(([k, label]) => `<div><span class="label">${label}</span> <span data-field="${k}">${f[k]}</span></div>`).join('\n')}
${status.reason ? `<div class="bad" id="reason">${esc(status.code ?? '')} ${esc(status.reason)}</div>` : ''}
</section>
<h2>Manifest</h2>
<dl id="manifest">
<dt>id</dt><dd>${esc(status.id)}</dd>
<dt>version</dt><dd>${esc(status.version)}</dd>
<dt>activation</dt><dd>${esc(status.activation)}</dd>
<dt>isolation</dt><dd>${esc(status.isolation)}</dd>
<dt>stateful</dt><dd>${status.stateful ? 'yes' : 'no'}</dd>
<dt>provides</dt><dd>${record(status.provides)}</dd>
<dt>requires</dt><dd>${record(status.requires)}</dd>
<dt>restarts</dt><dd>${status.restarts}</dd>
<dt>folder</dt><dd><code>${esc(status.dir)}</code></dd>
</dl>
${manifest ? `<details id="manifest-full"><summary>The whole manifest (the running version's)</summary><pre>${esc(JSON.stringify(manifest, null, 2))}</pre></details>` : ''}
<h2>Requirements</h2>
${requirements ? `<table id="requirements"><thead><tr><th>Capability</th><th>Range</th><th>Bound to</th><th>Its state</th></tr></thead><tbody>${requirements}</tbody></table>` : '<p id="requirements" class="none">It requires nothing.</p>'}
<h2>Dependents</h2>
<ul id="dependents">${dependents.length ? dependents.map((d) => `<li>${link(d.id)} (${esc(d.state)})</li>`).join('') : '<li class="none">No module is bound to it.</li>'}</ul>
<h2>Recent failures</h2>
<ul id="failures">${failures.length ? [...failures].reverse().map((e) => `<li><time>${esc(formatTime(e.at))}</time> ${esc(e.summary)}</li>`).join('') : '<li class="none">None since the console started.</li>'}</ul>`,
  );
}

export function notFoundPage(base: string, what: string): string {
  return page(base, 'modules', 'Not found', `<p class="bad">${esc(what)}</p>`);
}

export interface ClientView {
  clientId: string;
  modules: readonly UnifiedModuleConfig[];
  explanations: ReadonlyMap<string, Explanation>;
}

export function clientsPage(base: string, query: string, view: ClientView | undefined, error: string | undefined): string {
  const form = `<form id="client-search" method="get" action="${esc(base)}/clients"><label>Client id <input name="client" value="${esc(query)}" placeholder="uuid or plain id" required></label> <button type="submit">Show</button></form>`;
  let body = '';
  if (error !== undefined) body = `<p class="bad" id="client-error">${esc(error)}</p>`;
  else if (view) {
    const rows = view.modules
      .map((m) => {
        const e = view.explanations.get(m.moduleId);
        const sentences = e ? e.facts.map((f) => `<li data-kind="${esc(f.kind)}">${esc(describeFact(f, e))}</li>`).join('') : '';
        return `<tr data-client-module="${esc(m.moduleId)}"><td>${esc(m.moduleId)}</td><td>${m.enabled ? 'yes' : 'no'}</td><td>${esc(m.source)}</td><td>${m.implicit ? 'yes' : ''}</td><td class="${e?.serves ? 'good' : 'bad'}" data-field="serves">${e?.serves ? `serves${e.version ? ` ${esc(e.version)}` : ''}` : 'does not serve'}</td>
<td><details><summary>why</summary><ol class="explanation">${sentences}</ol></details></td></tr>`;
      })
      .join('\n');
    body = `<h2 id="client-title">Client ${esc(view.clientId)}</h2>
<table id="client-modules"><thead><tr><th>Module</th><th>Enabled</th><th>Source</th><th>Implicit</th><th>Now</th><th>Explanation</th></tr></thead><tbody>
${rows}
</tbody></table>`;
  }
  return page(base, 'clients', 'Clients', `${form}\n${body}`);
}

export function runRows(base: string, runs: readonly ModuleMigrationProgress[]): string {
  if (runs.length === 0) return '<tr class="none"><td colspan="7">No runs yet.</td></tr>';
  return runs
    .map((r) => {
      const id = esc(r.runId);
      const canRollBack = r.kind === 'batch' && r.status !== 'rolled_back' && r.status !== 'running' && r.status !== 'rolling_back';
      return `<tr data-run="${id}" data-status="${esc(r.status)}"><td><code>${id}</code></td><td>${esc(r.status)}</td><td>${esc(r.phase)}</td>
<td><progress max="100" value="${r.percent}"></progress> ${r.percent}%</td>
<td>${r.migrated} migrated, ${r.skipped} skipped, ${r.failed} failed, ${r.rolledBack} rolled back of ${r.total}</td>
<td>${esc(formatTime(r.startedAt instanceof Date ? r.startedAt.toISOString() : String(r.startedAt)))}</td>
<td><button type="button" class="verify" data-run="${id}">Verify</button>${canRollBack ? ` <button type="button" class="rollback" data-run="${id}">Roll back…</button>
<span class="confirm" data-run="${id}" hidden><input class="confirm-input" placeholder="type ${id} to confirm" aria-label="type the run id to confirm"> <button type="button" class="confirm-rollback" data-run="${id}">Confirm rollback</button></span>` : ''}
<div class="run-result" data-run="${id}"></div></td></tr>`;
    })
    .join('\n');
}

export function currentRun(state: ConsoleRunState | undefined): string {
  if (!state) return '<p id="run-status" class="none">No run started from this console yet.</p><progress id="run-progress" max="100" value="0" hidden></progress><div id="run-summary"></div>';
  const p = state.progress;
  const percent = state.state === 'finished' ? 100 : p && p.total > 0 ? Math.round((100 * p.done) / p.total) : 0;
  return `<p id="run-status" data-state="${esc(state.state)}">${esc(statusLine(state))}</p><progress id="run-progress" max="100" value="${percent}"></progress><div id="run-summary">${state.summary ? esc(summaryLine(state)) : ''}</div>`;
}

function statusLine(s: ConsoleRunState): string {
  const p = s.progress;
  const where = p ? ` ${p.phase} ${p.done}/${p.total}` : '';
  return `run ${s.runId ?? '(dry run)'}: ${s.state}${where}${s.error ? `: ${s.error.code} ${s.error.message}` : ''}`;
}

function summaryLine(s: ConsoleRunState): string {
  const r = s.summary!;
  const v = r.verification;
  return `${r.status}: ${r.counts.migrated} migrated, ${r.counts.skipped} skipped, ${r.counts.failed} failed in ${r.durationMs} ms${v ? `; verification: ${v.checked} checked, ${v.unchanged} unchanged, ${v.mismatches} mismatches` : ''}${r.refused ? `; refused: ${r.refused.message}` : ''}`;
}

export function migrationsPage(base: string, runs: readonly ModuleMigrationProgress[], state: ConsoleRunState | undefined, error?: string): string {
  return page(
    base,
    'migrations',
    'Migrations',
    `${error ? `<p class="bad">${esc(error)}</p>` : ''}
<form id="start-run"><fieldset><legend>Start a run over every client</legend>
<label>Strategy <select name="strategy"><option>merge</option><option>replace</option><option>preserve</option></select></label>
<label>Batch size <input name="batchSize" type="number" min="1" max="10000" value="500"></label>
<label><input name="dryRun" type="checkbox"> dry run (plan only)</label>
<button type="submit">Start</button></fieldset></form>
<section id="current-run">${currentRun(state)}</section>
<h2>Runs</h2>
<table id="runs"><thead><tr><th>Run</th><th>Status</th><th>Phase</th><th>Progress</th><th>Clients</th><th>Started</th><th></th></tr></thead>
<tbody id="run-rows">
${runRows(base, runs)}
</tbody></table>`,
  );
}

export function eventRow(e: ConsoleEvent): string {
  return `<li data-seq="${e.seq}" data-type="${esc(e.type)}"><time>${esc(formatTime(e.at))}</time> <code>${esc(e.type)}</code> ${esc(e.summary)}</li>`;
}

export function eventsPage(base: string, events: readonly ConsoleEvent[]): string {
  return page(base, 'events', 'Events', `<p class="hint">The host's events, newest first (the last ${events.length} kept); new ones appear as they happen.</p>
<ul id="events">${[...events].reverse().map(eventRow).join('\n')}</ul>`);
}

export function signInPage(base: string, usesToken: boolean): string {
  return page(
    base,
    'sign-in',
    'Sign in',
    usesToken
      ? `<p>This console needs the operator token.</p>
<form id="sign-in"><label>Token <input name="token" type="password" autocomplete="current-password" required></label> <button type="submit">Sign in</button></form>
<p id="sign-in-error" class="bad" hidden>That token was refused.</p>`
      : '<p>This console is protected by the application: sign in through it, then reload.</p>',
  );
}

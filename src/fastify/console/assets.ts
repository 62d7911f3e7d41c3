/**
 * The console's static assets: one stylesheet and one small vanilla script (no build
 * step). The script keeps the server-rendered pages live over the stream
 * (`<base>/api/stream`): it rewrites the `data-field` cells of each `data-module`
 * element from 'modules' events, prepends 'host' events to the event list, moves the
 * migration progress bar from 'migration' events, and drives the forms (sign-in, start a
 * run, verify, roll back with the run id typed back). Its formats follow html.ts.
 */

export const CONSOLE_CSS = `
:root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f7f9; }
body { margin: 0; }
header { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.2rem; background: #1b1f24; color: #fff; }
header nav a { color: #cfd6de; margin-right: 1rem; text-decoration: none; }
header nav a[aria-current="page"] { color: #fff; border-bottom: 2px solid #5aa9ff; }
.live { margin-left: auto; font-size: .85rem; color: #9fb3c8; }
.live.on { color: #7ee2a8; }
main { padding: 1rem 1.4rem; }
h1 { font-size: 1.4rem; margin: .4rem 0 1rem; }
h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; background: #fff; min-width: 60%; }
th, td { padding: .35rem .7rem; border-bottom: 1px solid #e3e6ea; text-align: left; vertical-align: top; font-size: .92rem; }
th { background: #eef1f4; }
tr[data-state="failed"] td, tr[data-state="unresolved"] td, .bad { color: #b3261e; }
.good, tr[data-state="active"] td[data-field="state"] { color: #1e7a3c; }
.none, .hint { color: #6b7580; }
.summary { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; background: #fff; padding: .7rem 1rem; border: 1px solid #e3e6ea; }
.label { color: #6b7580; font-size: .85rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; background: #fff; padding: .7rem 1rem; border: 1px solid #e3e6ea; }
dt { color: #6b7580; }
dd { margin: 0; }
form { margin: .5rem 0 1rem; }
fieldset { border: 1px solid #d5dae0; background: #fff; }
label { margin-right: 1rem; }
progress { width: 14rem; vertical-align: middle; }
#current-run { margin: 1rem 0; }
ol.explanation { margin: .3rem 0; padding-left: 1.2rem; }
#events { list-style: none; padding: 0; }
#events li { padding: .25rem 0; border-bottom: 1px solid #e3e6ea; font-size: .9rem; }
time { color: #6b7580; font-variant-numeric: tabular-nums; }
code { font-size: .88em; }
`;

export const CONSOLE_JS = `
'use strict';
(() => {
  const base = document.body.dataset.base;
  const pageName = document.body.dataset.page;
  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));
  const esc = (v) => String(v == null ? '' : v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const bytes = (b) => (b == null ? '—' : b >= 1048576 ? (b / 1048576).toFixed(1) + ' MB' : (b / 1024).toFixed(1) + ' kB');
  const time = (iso) => (iso == null ? '—' : iso.slice(0, 10) + ' ' + iso.slice(11, 19) + 'Z');
  const FIELDS = {
    state: (r) => r.state + (r.holdingCalls ? ' (holding calls)' : ''),
    version: (r) => r.version,
    activatedAt: (r) => time(r.activatedAt) + (r.activatedAt != null && r.activationMs != null ? ' (in ' + Math.round(r.activationMs) + ' ms)' : ''),
    calls: (r) => String(r.calls),
    errorRate: (r) => (r.errorRate * 100).toFixed(1) + '%',
    p50: (r) => r.p50.toFixed(2) + ' ms',
    p99: (r) => r.p99.toFixed(2) + ' ms',
    heap: (r) => (r.heapUsedBytes == null ? '—' : bytes(r.heapUsedBytes) + ' / ' + bytes(r.heapLimitBytes)),
  };
  const post = async (path, body) => {
    const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hotmod-console': '1' }, body: JSON.stringify(body || {}) });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error((data.error && data.error.code ? data.error.code + ': ' : '') + ((data.error && data.error.message) || response.status));
    return data;
  };

  // Sign-in: the token goes once, as a bearer header; the server answers with the session cookie.
  const signIn = $('#sign-in');
  if (signIn) {
    signIn.addEventListener('submit', async (event) => {
      event.preventDefault();
      const token = signIn.elements.token.value;
      const response = await fetch(base + '/session', { method: 'POST', headers: { authorization: 'Bearer ' + token, 'x-hotmod-console': '1' } });
      if (response.ok) location.reload();
      else $('#sign-in-error').hidden = false;
    });
    return;
  }

  function updateModules(rows) {
    const table = $('#modules tbody');
    const seen = new Set();
    for (const r of rows) {
      seen.add(r.id);
      let holders = $$('[data-module]').filter((el) => el.dataset.module === r.id);
      if (holders.length === 0 && table) {
        const tr = document.createElement('tr');
        tr.dataset.module = r.id;
        tr.innerHTML = '<td><a href="' + esc(base + '/modules/' + encodeURIComponent(r.id)) + '">' + esc(r.id) + '</a></td>' + Object.keys(FIELDS).map((k) => '<td data-field="' + k + '"></td>').join('');
        table.appendChild(tr);
        holders = [tr];
      }
      for (const el of holders) {
        el.dataset.state = r.state;
        for (const cell of $$('[data-field]', el)) {
          const f = FIELDS[cell.dataset.field];
          if (f) {
            const text = f(r);
            if (cell.textContent !== text) cell.textContent = text;
          }
        }
      }
    }
    if (table) for (const tr of $$('tr[data-module]', table)) if (!seen.has(tr.dataset.module)) tr.remove();
    document.body.dataset.modulesUpdates = String(Number(document.body.dataset.modulesUpdates || 0) + 1);
  }

  function addEvent(e) {
    const list = $('#events');
    if (!list) return;
    // The same seq again is an entry the server merged into (client changes): replace it.
    const li = $$('li[data-seq]', list).find((el) => el.dataset.seq === String(e.seq)) || document.createElement('li');
    li.dataset.seq = e.seq;
    li.dataset.type = e.type;
    li.innerHTML = '<time>' + esc(time(e.at)) + '</time> <code>' + esc(e.type) + '</code> ' + esc(e.summary);
    if (!li.parentNode) list.prepend(li);
  }

  async function refreshRuns() {
    const response = await fetch(base + '/migrations/rows');
    if (response.ok) $('#run-rows').innerHTML = await response.text();
  }

  function updateMigration(s) {
    const status = $('#run-status');
    if (!status) return;
    const p = s.progress;
    const percent = s.state === 'finished' ? 100 : p && p.total > 0 ? Math.round((100 * p.done) / p.total) : 0;
    const bar = $('#run-progress');
    bar.hidden = false;
    bar.value = percent;
    const seen = (bar.dataset.seen || '').split(',').filter(Boolean);
    if (seen[seen.length - 1] !== String(percent)) seen.push(String(percent));
    bar.dataset.seen = seen.join(',');
    status.dataset.state = s.state;
    status.textContent = 'run ' + (s.runId || '(dry run)') + ': ' + s.state + (p ? ' ' + p.phase + ' ' + p.done + '/' + p.total : '') + (s.restored != null ? ', ' + s.restored + ' restored' : '') + (s.error ? ': ' + s.error.code + ' ' + s.error.message : '');
    if (s.summary) {
      const r = s.summary;
      const v = r.verification;
      $('#run-summary').textContent = r.status + ': ' + r.counts.migrated + ' migrated, ' + r.counts.skipped + ' skipped, ' + r.counts.failed + ' failed in ' + r.durationMs + ' ms' + (v ? '; verification: ' + v.checked + ' checked, ' + v.unchanged + ' unchanged, ' + v.mismatches + ' mismatches' : '') + (r.refused ? '; refused: ' + r.refused.message : '');
    }
    if (s.state !== 'running' && s.state !== 'rolling-back') refreshRuns();
  }

  const start = $('#start-run');
  if (start) {
    start.addEventListener('submit', async (event) => {
      event.preventDefault();
      const f = start.elements;
      try {
        await post('/api/migrations', { strategy: f.strategy.value, batchSize: Number(f.batchSize.value), dryRun: f.dryRun.checked });
      } catch (error) {
        $('#run-status').textContent = String(error.message);
        $('#run-status').dataset.state = 'failed';
      }
    });
    document.addEventListener('click', async (event) => {
      const button = event.target.closest('button[data-run]');
      if (!button) return;
      const run = button.dataset.run;
      const result = $$('.run-result').find((el) => el.dataset.run === run);
      const confirmBox = $$('.confirm').find((el) => el.dataset.run === run);
      try {
        if (button.classList.contains('verify')) {
          result.textContent = 'verifying…';
          const v = await post('/api/migrations/' + encodeURIComponent(run) + '/verify');
          result.textContent = 'verification: ' + v.checked + ' checked, ' + v.unchanged + ' unchanged, ' + v.mismatches.length + ' mismatches, ' + v.laterWrites.length + ' written since';
          result.dataset.outcome = v.mismatches.length === 0 ? 'ok' : 'mismatch';
        } else if (button.classList.contains('rollback')) {
          confirmBox.hidden = false;
          $('.confirm-input', confirmBox).focus();
        } else if (button.classList.contains('confirm-rollback')) {
          const typed = $('.confirm-input', confirmBox).value.trim();
          result.textContent = 'rolling back…';
          const r = await post('/api/migrations/' + encodeURIComponent(run) + '/rollback', { confirm: typed });
          result.textContent = 'rolled back: ' + r.restored + ' restored, ' + r.attention.length + ' need attention';
          result.dataset.outcome = 'rolled-back';
        }
      } catch (error) {
        result.textContent = String(error.message);
        result.dataset.outcome = 'error';
      }
    });
  }

  const live = $('#live');
  const stream = new EventSource(base + '/api/stream');
  stream.onopen = () => {
    live.textContent = 'live';
    live.classList.add('on');
  };
  stream.onerror = () => {
    live.textContent = 'reconnecting…';
    live.classList.remove('on');
  };
  stream.addEventListener('modules', (m) => updateModules(JSON.parse(m.data)));
  stream.addEventListener('host', (m) => addEvent(JSON.parse(m.data)));
  stream.addEventListener('migration', (m) => updateMigration(JSON.parse(m.data)));
  document.body.dataset.ready = pageName;
})();
`;

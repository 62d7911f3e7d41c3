/** HTML for the console: escaping, the page frame and the value formats the pages and console.js share in spirit. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML content and quoted attributes. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

export type ConsolePage = 'modules' | 'module' | 'clients' | 'migrations' | 'events' | 'sign-in';

const NAV: readonly [ConsolePage, string, string][] = [
  ['modules', 'Modules', ''],
  ['clients', 'Clients', '/clients'],
  ['migrations', 'Migrations', '/migrations'],
  ['events', 'Events', '/events'],
];

/** The frame every page shares: header with navigation and the live indicator, then `main`. */
export function page(base: string, current: ConsolePage, title: string, main: string): string {
  const nav = NAV.map(([id, label, href]) => `<a href="${esc(base + href || '/')}"${id === current || (current === 'module' && id === 'modules') ? ' aria-current="page"' : ''}>${label}</a>`).join('');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · hotmod console</title>
<link rel="stylesheet" href="${esc(base)}/assets/console.css"></head>
<body data-base="${esc(base)}" data-page="${current}">
<header><strong>hotmod console</strong><nav>${current === 'sign-in' ? '' : nav}</nav><span id="live" class="live">${current === 'sign-in' ? '' : 'connecting…'}</span></header>
<main><h1>${esc(title)}</h1>
${main}
</main>
<script src="${esc(base)}/assets/console.js" defer></script>
</body></html>`;
}

export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '—';
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
}

export function formatMs(ms: number): string {
  return `${ms.toFixed(2)} ms`;
}

export function formatPercent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

export function formatTime(iso: string | null): string {
  return iso === null ? '—' : `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

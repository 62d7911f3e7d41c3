import type { Host, HostEvents } from '../../runtime/index.js';
import type { CliIO } from '../io.js';
import type { Command } from '../command.js';
import { hostRunOptions, runHost, statusTable } from './start.js';

type EventLine = { at: string; text: string };

/** One line per host event, for people (and the redraw's recent-events list). */
function describe(event: keyof HostEvents, e: Record<string, unknown>): string {
  switch (event) {
    case 'module:activated':
      return `activated ${e.id}@${e.version} in ${Number(e.durationMs).toFixed(0)} ms${Number(e.restart) ? ` (restart ${e.restart})` : ''}`;
    case 'module:deactivated':
      return `deactivated ${e.id}@${e.version} (${e.reason})`;
    case 'module:failed':
      return `FAILED ${e.id}@${e.version}: ${e.reason}${e.willRestart ? ` — restarting in ${e.delayMs} ms` : e.quarantined ? ' — QUARANTINED: crash budget spent, not restarted' : ''}`;
    case 'module:swapped':
      return `swapped ${e.id} ${e.from} -> ${e.to} in ${Number(e.durationMs).toFixed(0)} ms${e.stateful ? ` (state handed over, ${e.heldCalls} held call(s))` : ''}`;
    case 'swap:failed':
      return `swap of ${e.id} refused/failed (${e.code}): ${e.reason}`;
    case 'module:diagnostic':
      return `problem in ${e.id ?? e.dir}: ${e.message} — the running version serves on`;
    case 'catalog:changed':
      return `catalog generation ${e.generation}`;
    default:
      return `${event}`;
  }
}

const WATCHED: (keyof HostEvents)[] = ['module:activated', 'module:deactivated', 'module:failed', 'module:swapped', 'swap:failed', 'module:diagnostic'];

export const command: Command = {
  summary: 'Development mode: watch the modules directory, hot-swap edits (src/ rebuilt with esbuild), show live status',
  usage: 'hotmod dev [--modules DIR] [--store URL] [--config hotmod.config.json] [--fleet] [--json]',
  async run(argv: string[], io: CliIO): Promise<number> {
    const { run, json } = hostRunOptions(argv, { watch: true });
    const recent: EventLine[] = [];
    // The live view on a terminal, the first drawing and every redraw: clear the screen, draw the table and the last events.
    const drawFrame = (host: Host) =>
      io.out(`\x1b[2J\x1b[H hotmod dev — ${run.modulesDir}\n\n${statusTable(host.status())}\n\nRecent:\n${recent.map((l) => `  ${l.at}  ${l.text}`).join('\n')}\n\nCtrl-C to stop.`);
    const attach = (host: Host) => {
      let timer: NodeJS.Timeout | undefined;
      const redraw = () => {
        timer = undefined;
        drawFrame(host);
      };
      const listeners = WATCHED.map((event) => {
        const listener = (e: object) => {
          const at = new Date().toISOString().slice(11, 19);
          if (json) {
            io.out(JSON.stringify({ at, event, ...(e as Record<string, unknown>), error: undefined }));
            return;
          }
          const line = { at, text: describe(event, e as Record<string, unknown>) };
          if (!io.isTTY) {
            io.out(`${line.at} ${line.text}`);
            return;
          }
          recent.push(line);
          if (recent.length > 10) recent.shift();
          timer ??= setTimeout(redraw, 50);
        };
        host.on(event, listener as never);
        return () => host.off(event, listener as never);
      });
      host.on('catalog:changed', () => {
        if (io.isTTY && !json) timer ??= setTimeout(redraw, 50);
      });
      // On a terminal the table is live: states, calls and errors refresh every second.
      const tick = io.isTTY && !json ? setInterval(() => (timer ??= setTimeout(redraw, 0)), 1000) : undefined;
      return () => {
        if (tick) clearInterval(tick);
        if (timer) clearTimeout(timer);
        for (const off of listeners) off();
      };
    };
    const onStarted = (host: Host) => {
      if (json) io.out(JSON.stringify({ event: 'started', modulesDir: run.modulesDir, modules: host.status() }));
      else if (io.isTTY) setTimeout(() => drawFrame(host), 0);
      else io.out(`hotmod dev: watching ${run.modulesDir}\n${statusTable(host.status())}`);
    };
    return runHost(io, run, json, attach, onStarted);
  },
};

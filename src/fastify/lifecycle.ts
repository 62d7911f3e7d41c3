/**
 * The host's phase as the plugin sees it, and since when: 'running' only once the plugin's
 * start has returned. /health combines it with host.phase, which also sees a host stopped
 * from outside the plugin.
 */
export type PluginPhase = 'starting' | 'running' | 'stopping' | 'stopped';

export class HostLifecycle {
  #phase: PluginPhase = 'starting';
  #since = Date.now();

  get phase(): PluginPhase {
    return this.#phase;
  }

  /** Milliseconds since the current phase began. */
  get phaseMs(): number {
    return Date.now() - this.#since;
  }

  set(phase: PluginPhase): void {
    this.#phase = phase;
    this.#since = Date.now();
  }
}

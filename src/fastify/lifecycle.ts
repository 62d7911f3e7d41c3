/**
 * The host's phase as the plugin sees it: the Host API has no state getter, and the
 * plugin is what starts and stops the host inside a Fastify server, so it keeps the
 * phase itself. /health reads it.
 */
export type HostPhase = 'starting' | 'running' | 'stopping' | 'stopped';

export class HostLifecycle {
  #phase: HostPhase = 'starting';
  #since = Date.now();

  get phase(): HostPhase {
    return this.#phase;
  }

  /** Milliseconds since the current phase began. */
  get phaseMs(): number {
    return Date.now() - this.#since;
  }

  set(phase: HostPhase): void {
    this.#phase = phase;
    this.#since = Date.now();
  }
}

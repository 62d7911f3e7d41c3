/**
 * The gate a stateful swap holds new calls at (moduleState.ts `swapping.gate`). The router
 * waits at it and then reads the module's state again; the module table opens it when the
 * state that holds it is left (the new instance or the resumed old one is installed), so
 * no caller can be left waiting at a gate nobody will open.
 */
export class CallGate {
  readonly #opened: Promise<void>;
  #open!: () => void;
  #held = 0;

  constructor() {
    this.#opened = new Promise<void>((resolve) => (this.#open = resolve));
  }

  /** Calls waiting at the gate right now (reported by module:swapped). */
  get held(): number {
    return this.#held;
  }

  /** Resolves once the gate is open. */
  async wait(): Promise<void> {
    this.#held++;
    try {
      await this.#opened;
    } finally {
      this.#held--;
    }
  }

  /** @internal Only the module table opens a gate (when its state is left). */
  open(): void {
    this.#open();
  }
}

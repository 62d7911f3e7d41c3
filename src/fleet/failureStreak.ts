/**
 * Reports the first failure of a streak only: a store that is down for a minute is one log
 * line from a timer that runs every few seconds, not one per run. A success ends the streak.
 */
export class FailureStreak {
  readonly #report: (error: Error) => void;
  #failing = false;

  constructor(report: (error: Error) => void) {
    this.#report = report;
  }

  /** `work` with its failure reported (once per streak) instead of thrown. */
  async run(work: () => Promise<void>): Promise<void> {
    try {
      await work();
      this.#failing = false;
    } catch (error) {
      if (!this.#failing) this.#report(error as Error);
      this.#failing = true;
    }
  }
}

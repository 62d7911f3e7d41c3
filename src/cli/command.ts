/**
 * What every CLI command shares: the Command contract and the exit codes. Commands import
 * this file, never main.ts (main.ts loads the commands), so there is no import circle.
 */
import type { CliIO } from './io.js';

/** A CLI command: returns its exit code (0 ok, 1 failure, 2 usage). */
export interface Command {
  summary: string;
  usage: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

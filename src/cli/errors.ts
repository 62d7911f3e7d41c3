/** Error codes of the CLI itself (what it meets outside the parts). Documented in docs/errors.md. */
export const CliErrorCode = {
  /** `hotmod clients why --url`: the server could not be reached, or did not answer with an explanation. */
  SERVER_UNREACHABLE: 'E_CLI_SERVER_UNREACHABLE',
} as const;

export type CliErrorCode = (typeof CliErrorCode)[keyof typeof CliErrorCode];

declare module '../errors.js' {
  interface HotmodErrorCodes extends Record<CliErrorCode, true> {}
}

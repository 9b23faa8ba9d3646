/** Exit codes of the `dit` command. */
export const EXIT = {
  ok: 0,
  /** The work failed (bad data, a failed step, an I/O error). */
  failure: 1,
  /** The command line or config was wrong. */
  usage: 2,
  /** The work finished but some items failed (e.g. images preprocess skipped). */
  partial: 3,
} as const;

/** An error the CLI prints as one line (no stack unless --verbose) with a chosen exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

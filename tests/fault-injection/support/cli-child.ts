// `dit <argv>` in its own process, for tests that kill it (run through
// packages/train/src/test-support/run-ts.mjs, which resolves @dit/* to the sources).
// Prints "child pid <pid>" first, then the CLI's stdout and stderr lines as they come.
import { runCli } from '../../../packages/cli/src/main.js';

export async function main(argv: string[]): Promise<void> {
  process.stdout.write(`child pid ${process.pid}\n`);
  const code = await runCli(argv, { out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) });
  process.exitCode = code;
}

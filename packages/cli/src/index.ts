// The `dit` command line. Generation is @dit/pipeline's (`DiTPipeline`); the names below the
// line are kept for one minor release as deprecated aliases.
export { runCli, buildProgram, type CliIo } from './main.js';
export { CliError, EXIT } from './errors.js';

export * from './deprecated.js';

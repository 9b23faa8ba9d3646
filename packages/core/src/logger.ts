/** Where @dit sends progress and information lines. */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
}

/** Lines to stderr, so stdout stays free for data a command prints. */
export const consoleLogger: Logger = {
  info: (line) => process.stderr.write(line + '\n'),
  warn: (line) => process.stderr.write(`warning: ${line}\n`),
};

export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };

/** What a test's `runCli` call printed: `io` to pass in, and the lines it wrote to each stream. */
export interface CapturedIo {
  io: { out: (line: string) => void; err: (line: string) => void };
  out: string[];
  err: string[];
}

/** Collects a `runCli` call's output lines for tests; `onErr` also sees each error line as it comes. */
export function capture(onErr?: (line: string) => void): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: {
      out: (line) => out.push(line),
      err: (line) => {
        err.push(line);
        onErr?.(line);
      },
    },
    out,
    err,
  };
}

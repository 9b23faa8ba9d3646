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

/**
 * Progress for long loops: a redrawn line on a TTY, a plain line every `everyMs` otherwise.
 */
export class Progress {
  private readonly start = Date.now();
  private lastPrint = 0;
  private done = 0;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly options: { stream?: NodeJS.WriteStream; everyMs?: number; unit?: string } = {},
  ) {}

  tick(count = 1, extra = ''): void {
    this.done += count;
    const stream = this.options.stream ?? process.stderr;
    const now = Date.now();
    const finished = this.done >= this.total;
    const every = stream.isTTY ? 100 : (this.options.everyMs ?? 10_000);
    if (!finished && now - this.lastPrint < every) return;
    this.lastPrint = now;
    const line = this.format(now, extra);
    if (stream.isTTY) stream.write(`\r\x1b[K${line}${finished ? '\n' : ''}`);
    else stream.write(line + '\n');
  }

  private format(now: number, extra: string): string {
    const seconds = Math.max((now - this.start) / 1000, 1e-9);
    const rate = this.done / seconds;
    const eta = rate > 0 ? (this.total - this.done) / rate : Infinity;
    const unit = this.options.unit ?? 'it';
    const pct = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    return `${this.label} ${this.done}/${this.total} (${pct}%) ${rate.toFixed(2)} ${unit}/s ETA ${formatDuration(eta)}${extra ? ' ' + extra : ''}`;
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

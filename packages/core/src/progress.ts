/** A stream a progress line is written to (process.stderr, or a test's sink). */
export type ProgressStream = Pick<NodeJS.WritableStream, 'write'> & { isTTY?: boolean };

export interface ProgressOptions {
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Milliseconds between plain lines when the stream is not a terminal. Default 10000. */
  everyMs?: number;
  /** What is counted, shown in the rate (`img/s`). Default 'it'. */
  unit?: string;
  /** Already done when the loop starts (a resumed run). Default 0. */
  start?: number;
}

/**
 * A bias-corrected exponential average (tqdm's smoothing): weight 0.1 on each new value, divided
 * by the weights so far, so the first values are not pulled towards 0.
 */
export class ExponentialAverage {
  private sum = 0;
  private weight = 0;

  constructor(private readonly decay = 0.9) {}

  add(value: number): void {
    this.sum = this.decay * this.sum + (1 - this.decay) * value;
    this.weight = this.decay * this.weight + (1 - this.decay);
  }

  /** The average, NaN before the first value. */
  get value(): number {
    return this.weight > 0 ? this.sum / this.weight : Number.NaN;
  }
}

/**
 * The progress line of a long loop: `<label> <done>/<total> (<pct>%) <rate> <unit>/s ETA <eta>
 * <extra>`, the rate smoothed over recent ticks. Redrawn in place on a terminal; otherwise a
 * plain line every `everyMs` (and at the end), so logs stay readable.
 */
export class Progress {
  /** Shown first on every line; may change between ticks (e.g. a training phase and epoch). */
  label: string;
  private readonly rateAverage = new ExponentialAverage();
  private lastTick = Date.now();
  private lastPrint = 0;
  private done = 0;
  private lastLine = '';

  constructor(
    label: string,
    private readonly total: number,
    private readonly options: ProgressOptions = {},
  ) {
    this.label = label;
    this.done = options.start ?? 0;
  }

  /** `count` more done, in `seconds` (default: the time since the previous tick); `extra` ends the line. */
  tick(count = 1, extra = '', seconds?: number): void {
    const now = Date.now();
    const elapsed = seconds ?? (now - this.lastTick) / 1000;
    this.lastTick = now;
    this.done += count;
    if (elapsed > 0) this.rateAverage.add(count / elapsed);
    this.lastLine = this.format(extra);
    const stream = this.options.stream ?? process.stderr;
    const finished = this.done >= this.total;
    if (stream.isTTY) {
      if (!finished && now - this.lastPrint < 100) return;
      this.lastPrint = now;
      stream.write(`\r\x1b[K${this.lastLine}${finished ? '\n' : ''}`);
    } else if (finished || now - this.lastPrint >= (this.options.everyMs ?? 10_000)) {
      this.lastPrint = now;
      stream.write(this.lastLine + '\n');
    }
  }

  /** Smoothed units per second (0 before the first timed tick). */
  get rate(): number {
    return Number.isNaN(this.rateAverage.value) ? 0 : this.rateAverage.value;
  }

  /** The most recent line (for tests and summaries). */
  get line(): string {
    return this.lastLine;
  }

  /** Ends a redrawn line before other output. */
  break(): void {
    const stream = this.options.stream ?? process.stderr;
    if (stream.isTTY && this.lastLine && this.done < this.total) stream.write('\n');
  }

  private format(extra: string): string {
    const eta = this.rate > 0 ? Math.max(0, this.total - this.done) / this.rate : Infinity;
    const percent = this.total > 0 ? Math.floor((100 * this.done) / this.total) : 100;
    const unit = this.options.unit ?? 'it';
    return `${this.label} ${this.done}/${this.total} (${percent}%) ${this.rate.toFixed(2)} ${unit}/s ETA ${formatDuration(eta)}${extra ? ' ' + extra : ''}`;
  }
}

/** 75 -> '1m15s', 3700 -> '1h01m', Infinity -> '?'. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  return hours > 0 ? `${hours}h${String(minutes).padStart(2, '0')}m` : minutes > 0 ? `${minutes}m${String(total % 60).padStart(2, '0')}s` : `${total}s`;
}

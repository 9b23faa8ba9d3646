import { formatDuration } from '@dit/core';

export interface TrainProgressOptions {
  /** Steps the whole run will take (for the ETA). */
  totalSteps: number;
  /** Default process.stderr. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Milliseconds between plain lines when the stream is not a terminal. Default 10000. */
  everyMs?: number;
}

export interface ProgressUpdate {
  phase: string;
  epoch: number;
  step: number;
  loss: number;
  lr: number;
  images: number;
  seconds: number;
}

/**
 * The training progress line: phase, epoch, step, smoothed loss, LR, images/s and ETA. Redrawn in
 * place on a terminal; otherwise a plain line every `everyMs`, so logs stay readable.
 */
export class TrainProgress {
  private smoothedLoss = 0;
  private lossWeight = 0;
  private smoothedRate = 0;
  private rateWeight = 0;
  private lastPrint = 0;
  private lastLine = '';

  constructor(private readonly options: TrainProgressOptions) {}

  update(update: ProgressUpdate): void {
    // Bias-corrected exponential averages (as tqdm smooths), so the first values are not pulled to 0.
    if (Number.isFinite(update.loss)) {
      this.smoothedLoss = 0.9 * this.smoothedLoss + 0.1 * update.loss;
      this.lossWeight = 0.9 * this.lossWeight + 0.1;
    }
    if (update.seconds > 0) {
      this.smoothedRate = 0.9 * this.smoothedRate + 0.1 * (update.images / update.seconds);
      this.rateWeight = 0.9 * this.rateWeight + 0.1;
    }
    this.lastLine = this.format(update);
    const stream = this.options.stream ?? process.stderr;
    const now = Date.now();
    const finished = update.step >= this.options.totalSteps;
    if (stream.isTTY) {
      stream.write(`\r\x1b[K${this.lastLine}${finished ? '\n' : ''}`);
    } else if (finished || now - this.lastPrint >= (this.options.everyMs ?? 10_000)) {
      this.lastPrint = now;
      stream.write(this.lastLine + '\n');
    }
  }

  /** The most recent line (for tests and summaries). */
  get line(): string {
    return this.lastLine;
  }

  /** Ends a redrawn line before other output. */
  break(): void {
    const stream = this.options.stream ?? process.stderr;
    if (stream.isTTY && this.lastLine) stream.write('\n');
  }

  private format(update: ProgressUpdate): string {
    const loss = this.lossWeight > 0 ? this.smoothedLoss / this.lossWeight : Number.NaN;
    const rate = this.rateWeight > 0 ? this.smoothedRate / this.rateWeight : 0;
    const imagesPerStep = update.images;
    const stepsLeft = Math.max(0, this.options.totalSteps - update.step);
    const eta = rate > 0 ? (stepsLeft * imagesPerStep) / rate : Infinity;
    const pct = Math.floor((100 * update.step) / Math.max(1, this.options.totalSteps));
    return (
      `${update.phase} | epoch ${update.epoch} | step ${update.step}/${this.options.totalSteps} (${pct}%) | ` +
      `loss ${loss.toFixed(4)} | lr ${update.lr.toExponential(2)} | ${rate.toFixed(2)} img/s | ETA ${formatDuration(eta)}`
    );
  }
}

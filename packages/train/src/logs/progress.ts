import { ExponentialAverage, Progress, type ProgressStream } from '@dit/core';

export interface TrainProgressOptions {
  /** Steps the whole run will take (for the ETA). */
  totalSteps: number;
  /** Default process.stderr. */
  stream?: ProgressStream;
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
 * @deprecated The trainer draws its progress line with @dit/core's `Progress` (one progress-line
 * class for the whole project); this adapter onto it is removed in the next minor release.
 */
export class TrainProgress {
  private readonly progress: Progress;
  private readonly loss = new ExponentialAverage();
  private step = 0;

  constructor(options: TrainProgressOptions) {
    this.progress = new Progress('step', options.totalSteps, { stream: options.stream, everyMs: options.everyMs, unit: 'step' });
  }

  update(update: ProgressUpdate): void {
    if (Number.isFinite(update.loss)) this.loss.add(update.loss);
    this.progress.label = `${update.phase} | epoch ${update.epoch} | step`;
    this.progress.tick(update.step - this.step, `| loss ${this.loss.value.toFixed(4)} | lr ${update.lr.toExponential(2)}`, update.seconds);
    this.step = update.step;
  }

  get line(): string {
    return this.progress.line;
  }

  break(): void {
    this.progress.break();
  }
}

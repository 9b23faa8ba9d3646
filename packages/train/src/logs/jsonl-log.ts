import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@dit/core';

/** One optimiser step (or a skipped one). */
export interface StepRecord {
  type: 'step';
  phase: string;
  epoch: number;
  /** Steps done including this one. */
  step: number;
  loss: number;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Factor clipping multiplied the gradients by (1 = not clipped). */
  clipScale: number;
  /** Images per second over this step. */
  imagesPerSecond: number;
  /** Seconds this step took. */
  seconds: number;
  /** Seconds since the run (this process) started. */
  elapsed: number;
  /** Mean loss of the samples whose t fell in each of the equal-width bins of [0, 1]; null where none did. */
  binLoss: (number | null)[];
  /** True when a non-finite loss or gradient made the trainer skip the update. */
  skipped?: boolean;
}

/** Anything else the trainer reports: epoch summaries, validation, checkpoints. */
export interface EventRecord {
  type: 'epoch' | 'validation' | 'checkpoint' | 'phase' | 'stop';
  step: number;
  [key: string]: unknown;
}

export type JsonlRecord = StepRecord | EventRecord;

/** `log.jsonl`: one JSON object a line, richer than log.csv; continued on resume. */
export class JsonlLog {
  private constructor(readonly path: string) {}

  /** Opens the log; with `resumeStep`, records after that step (from an unfinished run) are dropped. */
  static async open(options: { path: string; resumeStep?: number }): Promise<JsonlLog> {
    const { path, resumeStep } = options;
    await mkdir(dirname(path), { recursive: true });
    if (resumeStep === undefined || !existsSync(path)) {
      await writeFileAtomic(path, '');
      return new JsonlLog(path);
    }
    const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    const kept = lines.filter((line) => {
      try {
        const record = JSON.parse(line) as { step?: number };
        return typeof record.step !== 'number' || record.step <= resumeStep;
      } catch {
        return false;
      }
    });
    if (kept.length !== lines.length) await writeFileAtomic(path, kept.map((line) => line + '\n').join(''));
    return new JsonlLog(path);
  }

  async append(record: JsonlRecord): Promise<void> {
    await appendFile(this.path, JSON.stringify(record, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)) + '\n');
  }
}

/** Mean loss per bin of t over equal-width bins of [0, 1]. */
export function lossByTimestepBin(options: { times: readonly number[]; losses: readonly number[]; bins: number }): (number | null)[] {
  const { times, losses, bins } = options;
  if (times.length !== losses.length) throw new Error(`times (${times.length}) and losses (${losses.length}) must have one value per sample`);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
  const sums = new Array<number>(bins).fill(0);
  const counts = new Array<number>(bins).fill(0);
  times.forEach((t, i) => {
    const bin = Math.min(bins - 1, Math.max(0, Math.floor(t * bins)));
    sums[bin] += losses[i];
    counts[bin] += 1;
  });
  return sums.map((sum, bin) => (counts[bin] > 0 ? sum / counts[bin] : null));
}

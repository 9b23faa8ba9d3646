import { readFile } from 'node:fs/promises';
import { ExponentialAverage } from '@dit/core';
import { CSV_LOG_HEADER } from '../logs/csv-log.js';

/** One row of a training log: the original's `Epoch,Global_Step,Loss,LR` columns. */
export interface LossLogRow {
  epoch: number;
  step: number;
  loss: number;
  lr: number;
}

/** The columns read, as the trainer writes them (`CSV_LOG_HEADER`). */
const LOSS_LOG_COLUMNS = CSV_LOG_HEADER.split(',');

/** Parses `log.csv`; every error names the file and line. Non-finite losses are kept (they are news). */
export function parseLossLog(text: string, file = 'log.csv'): LossLogRow[] {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new Error(`${file}: empty log`);
  const header = lines[0].split(',').map((h) => h.trim());
  const index = LOSS_LOG_COLUMNS.map((column) => header.indexOf(column));
  const missing = LOSS_LOG_COLUMNS.filter((_, i) => index[i] < 0);
  if (missing.length) throw new Error(`${file}:1: missing column(s) ${missing.join(', ')} (header: ${lines[0]})`);
  const rows: LossLogRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const [epoch, step, loss, lr] = index.map((k) => Number(cells[k]));
    if (!Number.isFinite(epoch) || !Number.isFinite(step) || Number.isNaN(lr) || cells.length < header.length) {
      throw new Error(`${file}:${i + 1}: cannot parse row '${lines[i]}'`);
    }
    rows.push({ epoch, step, loss, lr });
  }
  return rows;
}

export async function readLossLog(file: string): Promise<LossLogRow[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: cannot read loss log: ${(error as Error).message}`);
  }
  return parseLossLog(text, file);
}

/**
 * Exponential moving average with bias correction (TensorBoard's smoothing): weight 0 is raw,
 * 0.99 is very smooth. Non-finite points are skipped.
 */
export function smoothLosses(values: readonly number[], weight: number): number[] {
  if (!(weight >= 0 && weight < 1)) throw new Error(`smoothing weight must be in [0, 1), got ${weight}`);
  const average = new ExponentialAverage(weight);
  return values.map((value) => {
    if (Number.isFinite(value)) average.add(value);
    return average.value;
  });
}

/** Mean loss per epoch, in epoch order. */
export function epochMeans(rows: readonly LossLogRow[]): { epoch: number; loss: number; lastStep: number }[] {
  const byEpoch = new Map<number, { sum: number; count: number; lastStep: number }>();
  for (const row of rows) {
    if (!Number.isFinite(row.loss)) continue;
    const entry = byEpoch.get(row.epoch) ?? { sum: 0, count: 0, lastStep: row.step };
    entry.sum += row.loss;
    entry.count += 1;
    entry.lastStep = Math.max(entry.lastStep, row.step);
    byEpoch.set(row.epoch, entry);
  }
  return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, e]) => ({ epoch, loss: e.sum / e.count, lastStep: e.lastStep }));
}

/**
 * A log appended across resumes can step backwards (the original's phase 2 restarted from
 * epoch 601 after phase 1 had run on to 703). Rows a later row re-did are dropped, so the
 * curve shows the history the final weights actually have.
 */
export function dropSupersededRows(rows: readonly LossLogRow[]): { rows: LossLogRow[]; dropped: number } {
  const kept: LossLogRow[] = [];
  for (const row of rows) {
    while (kept.length > 0 && kept[kept.length - 1].step >= row.step) kept.pop();
    kept.push(row);
  }
  return { rows: kept, dropped: rows.length - kept.length };
}

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '@dit/core';
import { formatPythonFloat } from './python-float.js';

/** The original's columns (SPEC section 6), one row per optimiser step. */
export const CSV_LOG_HEADER = 'Epoch,Global_Step,Loss,LR';

export interface CsvLogRow {
  epoch: number;
  /** Steps done including this one (the original counted from 1). */
  globalStep: number;
  loss: number;
  lr: number;
}

export interface OpenCsvLogOptions {
  path: string;
  /**
   * Resuming after this many steps: keep the rows up to it and drop later ones (written after
   * the checkpoint by a run that then stopped). Undefined starts a new log.
   */
  resumeStep?: number;
}

/** `log.csv`: the original's CSV log, appended row by row, continued on resume. */
export class CsvLog {
  private constructor(readonly path: string) {}

  static async open(options: OpenCsvLogOptions): Promise<CsvLog> {
    const { path, resumeStep } = options;
    await mkdir(dirname(path), { recursive: true });
    if (resumeStep === undefined || !existsSync(path)) {
      await writeFileAtomic(path, `${CSV_LOG_HEADER}\n`);
      return new CsvLog(path);
    }
    const lines = (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    if (lines[0] !== CSV_LOG_HEADER) throw new Error(`${path}: expected the header '${CSV_LOG_HEADER}', found '${lines[0] ?? ''}'`);
    const kept = lines.slice(1).filter((line) => Number(line.split(',')[1]) <= resumeStep);
    if (kept.length !== lines.length - 1) await writeFileAtomic(path, [CSV_LOG_HEADER, ...kept].join('\n') + '\n');
    return new CsvLog(path);
  }

  async append(row: CsvLogRow): Promise<void> {
    await appendFile(this.path, `${row.epoch},${row.globalStep},${formatPythonFloat(row.loss)},${formatPythonFloat(row.lr)}\n`);
  }
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CsvLog, CSV_LOG_HEADER } from './csv-log.js';
import { JsonlLog, lossByTimestepBin } from './jsonl-log.js';
import { formatPythonFloat } from './python-float.js';

const dir = mkdtempSync(join(tmpdir(), 'dit-train-logs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('logs', () => {
  it('formats numbers as Python repr does (the original log)', () => {
    expect(formatPythonFloat(0.0002)).toBe('0.0002');
    expect(formatPythonFloat(1e-5)).toBe('1e-05');
    expect(formatPythonFloat(1.0005208910276348e-5)).toBe('1.0005208910276348e-05');
    expect(formatPythonFloat(2.676812171936035)).toBe('2.676812171936035');
    expect(formatPythonFloat(3)).toBe('3.0');
    expect(formatPythonFloat(1e16)).toBe('1e+16');
    expect(formatPythonFloat(Number.NaN)).toBe('nan');
  });

  it('writes log.csv with the original columns and continues it on resume', async () => {
    const path = join(dir, 'log.csv');
    const first = await CsvLog.open({ path });
    for (let step = 1; step <= 4; step++) await first.append({ epoch: 0, globalStep: step, loss: 1 / step, lr: 1e-4 });
    // A checkpoint after step 2, then the run died after step 4: resuming drops rows 3-4.
    const resumed = await CsvLog.open({ path, resumeStep: 2 });
    await resumed.append({ epoch: 0, globalStep: 3, loss: 0.25, lr: 1e-5 });
    expect(readFileSync(path, 'utf8')).toBe(`${CSV_LOG_HEADER}\n0,1,1.0,0.0001\n0,2,0.5,0.0001\n0,3,0.25,1e-05\n`);
    await CsvLog.open({ path });
    expect(readFileSync(path, 'utf8')).toBe(`${CSV_LOG_HEADER}\n`);
  });

  it('writes log.jsonl and drops records past the resume step', async () => {
    const path = join(dir, 'log.jsonl');
    const log = await JsonlLog.open({ path });
    await log.append({ type: 'epoch', step: 1, meanLoss: 0.5 });
    await log.append({ type: 'epoch', step: 2, meanLoss: Number.NaN });
    await JsonlLog.open({ path, resumeStep: 1 });
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([{ type: 'epoch', step: 1, meanLoss: 0.5 }]);
  });

  it('averages losses per timestep bin', () => {
    expect(lossByTimestepBin({ times: [0.05, 0.07, 0.5, 1], losses: [1, 3, 2, 4], bins: 4 })).toEqual([2, null, 2, 4]);
    expect(() => lossByTimestepBin({ times: [0.1], losses: [], bins: 4 })).toThrow(/one value per sample/);
  });
});

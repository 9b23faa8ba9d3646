import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearTicks, logTicks } from './axis.js';
import { renderLossChartSvg } from './loss-chart.js';
import { dropSupersededRows, epochMeans, parseLossLog, smoothLosses } from './loss-log.js';
import { plotRun } from './plot-run.js';

const originalLog = fileURLToPath(new URL('../../fixtures/original-loss-log-every-8th-step.csv', import.meta.url));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-plot-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loss log', () => {
  it('parses the original log and names the line of a bad row', async () => {
    const rows = parseLossLog(await readFile(originalLog, 'utf8'));
    expect(rows.length).toBeGreaterThan(4000);
    expect(rows[0]).toEqual({ epoch: 0, step: 1, loss: 2.676812171936035, lr: 0.0002 });
    expect(() => parseLossLog('Epoch,Global_Step,Loss,LR\n1,2,0.5,1e-4\n1,x,0.4,1e-4\n', 'run/log.csv')).toThrow("run/log.csv:3: cannot parse row '1,x,0.4,1e-4'");
    expect(() => parseLossLog('epoch,loss\n', 'a.csv')).toThrow('a.csv:1: missing column(s) Epoch, Global_Step, Loss, LR');
  });

  it('drops rows a resume re-did, keeping the final history', async () => {
    const { rows, dropped } = dropSupersededRows(parseLossLog(await readFile(originalLog, 'utf8')));
    expect(dropped).toBeGreaterThan(0);
    for (let i = 1; i < rows.length; i++) expect(rows[i].step).toBeGreaterThan(rows[i - 1].step);
    // Phase 2 restarted at epoch 601: nothing of the abandoned epochs 601-703 of phase 1 survives before it.
    const firstPhase2 = rows.findIndex((r) => r.epoch === 601);
    expect(rows[firstPhase2 - 1].epoch).toBe(600);
    const means = epochMeans(rows);
    expect(means[0].loss).toBeGreaterThan(1.2);
    expect(means[means.length - 1].loss).toBeLessThan(0.45);
  });

  it('smooths with bias correction', () => {
    expect(smoothLosses([2, 2, 2], 0.9)).toEqual([2, 2, 2]);
    const s = smoothLosses([1, 0], 0.5);
    expect(s[0]).toBe(1);
    expect(s[1]).toBeCloseTo(1 / 3, 12); // (0.5*0.5*1 + 0.5*0) / (1 - 0.25)
    expect(() => smoothLosses([1], 1)).toThrow(/\[0, 1\)/);
  });

  it('makes nice ticks', () => {
    expect(linearTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(logTicks(0.3, 3)).toEqual([0.5, 1, 2]);
  });
});

describe('plot', () => {
  it('renders the chart with phase markers, on linear and log axes', async () => {
    const rows = dropSupersededRows(parseLossLog(await readFile(originalLog, 'utf8'))).rows;
    const svg = renderLossChartSvg(rows, { phases: [{ name: 'phase 2', startEpoch: 601 }], logScale: true, title: 'a <b>' });
    expect(svg).toContain('phase 2 (epoch 601)');
    expect(svg).toContain('loss (log scale)');
    expect(svg).toContain('a &#60;b&#62;');
    expect(() => renderLossChartSvg([{ epoch: 0, step: 1, loss: Number.NaN, lr: 1 }])).toThrow(/no finite losses/);
  });

  it('writes loss PNG, sample grid and an HTML report for a run folder', async () => {
    const run = join(dir, 'run');
    await mkdir(join(run, 'samples'), { recursive: true });
    await writeFile(join(run, 'log.csv'), await readFile(originalLog, 'utf8'));
    await writeFile(join(run, 'schedule.json'), JSON.stringify([{ name: 'p1', epochs: [0, 600] }, { name: 'p2', epochs: [601, 900] }]));
    for (const epoch of [5, 10]) {
      for (const kind of ['raw', 'ema']) {
        await sharp({ create: { width: 32, height: 32, channels: 3, background: kind === 'raw' ? '#ff0000' : '#00ff00' } })
          .png()
          .toFile(join(run, 'samples', `epoch_${String(epoch).padStart(4, '0')}_${kind}.png`));
      }
    }
    const result = await plotRun({ runDir: run });
    const chart = await sharp(result.lossChart).metadata();
    expect([chart.width, chart.height]).toEqual([1200, 600]);
    const grid = await sharp(result.sampleGrid!).metadata();
    expect([grid.width, grid.height]).toEqual([150 + 2 * 128, 2 * 128]);
    // Row "epoch 10", column 1 (ema) is green.
    const { data, info } = await sharp(result.sampleGrid!).raw().toBuffer({ resolveWithObject: true });
    const px = (x: number, y: number) => Array.from(data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3));
    expect(px(150 + 64, 64)).toEqual([0, 255, 0]); // epoch 5: ema sorts before raw
    expect(px(150 + 128 + 64, 128 + 64)).toEqual([255, 0, 0]);
    const html = await readFile(result.report, 'utf8');
    expect(html).toContain('data:image/png;base64,');
    expect(html).toContain('log rows superseded by a resume');
    expect(await readFile(join(run, 'report', 'loss.svg'), 'utf8')).toContain('p2 (epoch 601)');
  });

  it('names the folder when there is no log', async () => {
    await expect(plotRun({ runDir: join(dir, 'nothing') })).rejects.toThrow(/nothing: no log\.csv/);
  });
});

import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { renderLossChartSvg, type PhaseMarker } from './loss-chart.js';
import { dropSupersededRows, readLossLog } from './loss-log.js';
import { writeSvgAsPng } from './raster.js';
import { writeRunReport } from './report-html.js';
import { findEpochSamples, writeSampleGrid } from '@dit/data';

export interface PlotRunOptions {
  /** The run folder (holds log.csv, samples/, schedule.json). */
  runDir: string;
  /** Output folder. Default `<runDir>/report`. */
  outDir?: string;
  logScale?: boolean;
  /** Smoothing weight in [0, 1). Default 0.98. */
  smoothing?: number;
  /** Phase boundaries; default read from `<runDir>/schedule.json` when present. */
  phases?: PhaseMarker[];
  /** Folder with validation PNGs. Default `<runDir>/samples`. */
  samplesDir?: string;
}

export interface PlotRunResult {
  lossChart: string;
  sampleGrid?: string;
  report: string;
}

/** Reads phase starts from a schedule file: an array (or `{ phases: [...] }`) of `{ name, epochs: [start, end] }`. */
export async function readPhaseMarkers(file: string): Promise<PhaseMarker[]> {
  const json = JSON.parse(await readFile(file, 'utf8')) as unknown;
  const list = Array.isArray(json) ? json : (json as { phases?: unknown }).phases;
  if (!Array.isArray(list)) throw new Error(`${file}: expected an array of phases or { phases: [...] }`);
  return list.map((phase, i) => {
    const p = phase as { name?: unknown; epochs?: unknown };
    if (!Array.isArray(p.epochs) || typeof p.epochs[0] !== 'number') throw new Error(`${file}: phases[${i}].epochs must be [start, end]`);
    return { name: String(p.name ?? `phase ${i + 1}`), startEpoch: p.epochs[0] };
  });
}

/** Loss curve PNG + SVG, a validation-sample grid, and a self-contained HTML report for a run. */
export async function plotRun(options: PlotRunOptions): Promise<PlotRunResult> {
  const runDir = resolve(options.runDir);
  const outDir = resolve(options.outDir ?? join(runDir, 'report'));
  const logFile = join(runDir, 'log.csv');
  if (!existsSync(logFile)) throw new Error(`${runDir}: no log.csv (is this a training run folder?)`);
  const { rows, dropped } = dropSupersededRows(await readLossLog(logFile));
  const scheduleFile = join(runDir, 'schedule.json');
  const phases = options.phases ?? (existsSync(scheduleFile) ? (await readPhaseMarkers(scheduleFile)).slice(1) : []);
  await mkdir(outDir, { recursive: true });
  const svg = renderLossChartSvg(rows, { title: `${basename(runDir)}: training loss`, logScale: options.logScale, smoothing: options.smoothing, phases });
  const lossChart = join(outDir, 'loss.png');
  await writeFile(join(outDir, 'loss.svg'), svg);
  await writeSvgAsPng(svg, lossChart);
  const samplesDir = options.samplesDir ?? join(runDir, 'samples');
  let sampleGrid: string | undefined;
  if (existsSync(samplesDir)) {
    const gridRows = await findEpochSamples(samplesDir);
    if (gridRows.length > 0) {
      sampleGrid = join(outDir, 'samples-grid.png');
      await writeSampleGrid(gridRows, sampleGrid);
    }
  }
  const report = join(outDir, 'report.html');
  await writeRunReport(report, { runName: basename(runDir), rows, lossChartPng: lossChart, sampleGridPng: sampleGrid,
    facts: dropped > 0 ? { 'log rows superseded by a resume': String(dropped) } : undefined });
  return { lossChart, sampleGrid, report };
}

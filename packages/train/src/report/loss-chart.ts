import { formatTick, linearTicks, logTicks } from './axis.js';
import { smoothLosses, type LossLogRow } from './loss-log.js';

/** A phase boundary drawn as a labelled vertical line at its first epoch. */
export interface PhaseMarker {
  name: string;
  startEpoch: number;
}

export interface LossChartOptions {
  title?: string;
  /** Default 1200 x 600 pixels. */
  width?: number;
  height?: number;
  /** Log-scaled loss axis. Default false. */
  logScale?: boolean;
  /** Smoothing weight in [0, 1) for the line over the raw points. Default 0.98. */
  smoothing?: number;
  phases?: PhaseMarker[];
  /** Raw points drawn at most; longer logs are thinned evenly. Default 6000. */
  maxPoints?: number;
}

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The loss curve as a standalone SVG: raw per-step losses as faint points, a smoothed line,
 * phase boundaries, axes in global steps (bottom) and epochs (top).
 */
export function renderLossChartSvg(rows: readonly LossLogRow[], options: LossChartOptions = {}): string {
  const width = options.width ?? 1200;
  const height = options.height ?? 600;
  const logScale = options.logScale ?? false;
  const finite = rows.filter((r) => Number.isFinite(r.loss) && (!logScale || r.loss > 0));
  if (finite.length === 0) throw new Error('loss chart: the log has no finite losses to plot');
  const margin = { left: 70, right: 20, top: 50, bottom: 50 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;

  const steps = finite.map((r) => r.step);
  const losses = finite.map((r) => r.loss);
  const minStep = steps[0];
  const maxStep = Math.max(steps[steps.length - 1], minStep + 1);
  let lo = Infinity;
  let hi = -Infinity;
  for (const l of losses) {
    lo = Math.min(lo, l);
    hi = Math.max(hi, l);
  }
  if (!logScale) lo = Math.min(0, lo);
  if (hi === lo) hi = lo + 1;
  const yOf = (loss: number) =>
    logScale
      ? margin.top + plotH * (1 - (Math.log10(loss) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)))
      : margin.top + plotH * (1 - (loss - lo) / (hi - lo));
  const xOf = (step: number) => margin.left + (plotW * (step - minStep)) / (maxStep - minStep);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, Arial, sans-serif" font-size="13">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  if (options.title) parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(options.title)}</text>`);

  const yTicks = logScale ? logTicks(lo, hi) : linearTicks(lo, hi);
  for (const v of yTicks) {
    const y = yOf(v).toFixed(1);
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${margin.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(v)}</text>`);
  }
  for (const v of linearTicks(minStep, maxStep)) {
    const x = xOf(v).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x}" y="${height - margin.bottom + 18}" text-anchor="middle">${formatTick(v)}</text>`);
  }
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 10}" text-anchor="middle">global step</text>`);
  parts.push(`<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">loss${logScale ? ' (log scale)' : ''}</text>`);

  // Raw points, thinned evenly so huge logs stay light.
  const maxPoints = options.maxPoints ?? 6000;
  const stride = Math.max(1, Math.ceil(finite.length / maxPoints));
  const dots: string[] = [];
  for (let i = 0; i < finite.length; i += stride) dots.push(`M${xOf(steps[i]).toFixed(1)},${yOf(losses[i]).toFixed(1)}h0.01`);
  parts.push(`<path d="${dots.join('')}" stroke="#7aa6d6" stroke-opacity="0.35" stroke-width="2.2" stroke-linecap="round" fill="none"/>`);

  const smoothed = smoothLosses(losses, options.smoothing ?? 0.98);
  const line: string[] = [];
  for (let i = 0; i < finite.length; i += stride) {
    const v = smoothed[i];
    if (Number.isFinite(v) && (!logScale || v > 0)) line.push(`${line.length ? 'L' : 'M'}${xOf(steps[i]).toFixed(1)},${yOf(v).toFixed(1)}`);
  }
  parts.push(`<path d="${line.join('')}" stroke="#d9480f" stroke-width="2" fill="none"/>`);

  // Phase boundaries at the first step of each phase's start epoch.
  for (const phase of options.phases ?? []) {
    const first = finite.find((r) => r.epoch >= phase.startEpoch);
    if (!first) continue;
    const x = xOf(first.step).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#555" stroke-dasharray="6 4"/>`);
    parts.push(`<text x="${Number(x) + 5}" y="${height - margin.bottom - 8}" fill="#333">${escapeXml(phase.name)} (epoch ${phase.startEpoch})</text>`);
  }
  // Epoch scale on top.
  const minEpoch = finite[0].epoch;
  const maxEpoch = finite[finite.length - 1].epoch;
  for (const e of linearTicks(minEpoch, maxEpoch, 6)) {
    const row = finite.find((r) => r.epoch >= e);
    if (!row) continue;
    const x = xOf(row.step);
    const anchor = x > width - margin.right - 40 ? 'end' : x < margin.left + 40 ? 'start' : 'middle';
    parts.push(`<text x="${x.toFixed(1)}" y="${margin.top - 8}" text-anchor="${anchor}" fill="#666" font-size="11">epoch ${formatTick(e)}</text>`);
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#333"/>`);
  const legendX = width - margin.right - 190;
  parts.push(`<rect x="${legendX}" y="${margin.top + 8}" width="180" height="44" fill="#fff" stroke="#ccc"/>`);
  parts.push(`<circle cx="${legendX + 14}" cy="${margin.top + 22}" r="3" fill="#7aa6d6"/><text x="${legendX + 26}" y="${margin.top + 26}">loss per step</text>`);
  parts.push(`<line x1="${legendX + 6}" x2="${legendX + 22}" y1="${margin.top + 40}" y2="${margin.top + 40}" stroke="#d9480f" stroke-width="2"/><text x="${legendX + 26}" y="${margin.top + 44}">smoothed</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

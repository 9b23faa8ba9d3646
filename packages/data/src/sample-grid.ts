import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import { writeFileAtomic } from '@dit/core';

/** One row of the grid: a label and its images, left to right. */
export interface GridRow {
  label: string;
  files: string[];
}

export interface SampleGridOptions {
  /** Edge of each square tile in pixels. Default 128. */
  tile?: number;
  /** Width of the label column. Default 150. */
  labelWidth?: number;
  /** Keep at most this many rows, evenly spaced, first and last included. Default 12. */
  maxRows?: number;
}

/**
 * Groups validation PNGs by the epoch in their file name (`epoch_0005_...png`,
 * `epoch-12-ema.png`), in epoch order; files without an epoch are ignored.
 */
export async function findEpochSamples(dir: string): Promise<GridRow[]> {
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch (error) {
    throw new Error(`${dir}: cannot list samples: ${(error as Error).message}`);
  }
  const byEpoch = new Map<number, string[]>();
  for (const name of names.filter((n) => n.toLowerCase().endsWith('.png')).sort()) {
    const match = /epoch[_-]?(\d+)/i.exec(name);
    if (!match) continue;
    const epoch = Number(match[1]);
    byEpoch.set(epoch, [...(byEpoch.get(epoch) ?? []), join(dir, name)]);
  }
  return [...byEpoch.entries()].sort((a, b) => a[0] - b[0]).map(([epoch, files]) => ({ label: `epoch ${epoch}`, files }));
}

/** Evenly spaced subset of rows, first and last kept. */
export function pickRows<T>(rows: readonly T[], maxRows: number): T[] {
  if (rows.length <= maxRows) return [...rows];
  const picked: T[] = [];
  for (let i = 0; i < maxRows; i++) picked.push(rows[Math.round((i * (rows.length - 1)) / (maxRows - 1))]);
  return picked;
}

/** Composes rows of images into one labelled PNG grid. */
export async function writeSampleGrid(rows: readonly GridRow[], path: string, options: SampleGridOptions = {}): Promise<{ rows: number; columns: number }> {
  const tile = options.tile ?? 128;
  const labelWidth = options.labelWidth ?? 150;
  const chosen = pickRows(rows.filter((r) => r.files.length > 0), options.maxRows ?? 12);
  if (chosen.length === 0) throw new Error(`sample grid for ${path}: no images to place`);
  const columns = Math.max(...chosen.map((r) => r.files.length));
  const width = labelWidth + columns * tile;
  const height = chosen.length * tile;
  const composites: OverlayOptions[] = [];
  for (const [r, row] of chosen.entries()) {
    for (const [c, file] of row.files.entries()) {
      const input = await sharp(file).resize(tile, tile, { fit: 'contain', background: '#ffffff' }).png().toBuffer();
      composites.push({ input, left: labelWidth + c * tile, top: r * tile });
    }
  }
  const labels = chosen
    .map((row, r) => `<text x="10" y="${r * tile + tile / 2}" dominant-baseline="middle" font-family="DejaVu Sans, Arial, sans-serif" font-size="16">${row.label.replace(/[<>&]/g, '')}</text>`)
    .join('');
  composites.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth}" height="${height}">${labels}</svg>`), left: 0, top: 0 });
  const png = await sharp({ create: { width, height, channels: 3, background: '#ffffff' } }).composite(composites).png().toBuffer();
  await writeFileAtomic(path, png);
  return { rows: chosen.length, columns };
}

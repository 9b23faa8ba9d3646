import { basename, join } from 'node:path';
import { writeJsonAtomic } from '@dit/core';
import { cacheStatistics, checkCache, formatCacheStatistics, formatPreprocessSummary, preprocess, readManifest, writeSampleGrid, type Bucket, type CacheStatistics, type CheckCacheResult } from '@dit/data';
import { PixelAutoencoder, T5Gemma2TextEncoder } from '@dit/encoders';
import { LatentNormalization } from '@dit/flow';

export interface CacheToolsConfig {
  /** Images + same-stem captions. */
  dataDir: string;
  /** Receives cache/, stats.json, check/<stem>.png and check/grid.png. */
  outDir: string;
  /** Pixel buckets (the original's three, divided by 8). */
  buckets: Bucket[];
  /** PixelAutoencoder factor: the stand-in for the SDXL VAE's 8x downsampling. */
  pixelFactor: number;
  textLength: number;
  seed: number;
}

export const CACHE_TOOLS_DEFAULTS: Omit<CacheToolsConfig, 'dataDir' | 'outDir'> = {
  buckets: [
    { width: 64, height: 64 },
    { width: 48, height: 80 },
    { width: 80, height: 48 },
  ],
  pixelFactor: 8,
  textLength: 16,
  seed: 0,
};

export interface CacheToolsResult {
  cacheDir: string;
  stats: CacheStatistics;
  /** The normalisation checked: the statistics' suggestion, latent / std + centred offset. */
  normalisation: { std: number; offset: number };
  checks: CheckCacheResult[];
  grid: string;
}

/**
 * The original's cache tools on a small cache: preprocess the bundled flowers, compute the
 * latent statistics (what gave the original its 1.1908 and 0.3077), then decode every entry
 * back to a PNG through the normalisation they suggest, as check_cache.py did.
 */
export async function runCacheTools(config: CacheToolsConfig, log: (line: string) => void = console.log): Promise<CacheToolsResult> {
  const cacheDir = join(config.outDir, 'cache');
  const autoencoder = new PixelAutoencoder({ factor: config.pixelFactor });
  const textEncoder = await T5Gemma2TextEncoder.random({ config: 'tiny', seed: config.seed, maxLength: config.textLength });
  try {
    const prepared = await preprocess({ datasetDir: config.dataDir, cacheDir, textEncoder, autoencoder, buckets: config.buckets, seed: config.seed });
    for (const line of formatPreprocessSummary(prepared)) log(line);
    if (!prepared.ok) throw new Error(`preprocess failed for ${prepared.failed} image(s); see ${prepared.reportPath}`);
  } finally {
    textEncoder.dispose();
  }

  const stats = await cacheStatistics(cacheDir);
  // Per-channel lines are many with pixel latents (192 channels): keep the summary and the buckets.
  for (const line of formatCacheStatistics(stats).filter((line) => !/^\s+(channel \d+|\(\d+ more channels)/.test(line))) log(line);
  await writeJsonAtomic(join(config.outDir, 'stats.json'), stats);

  const normalisation = { std: stats.suggested.std, offset: stats.suggested.centredOffset };
  const latentTransform = new LatentNormalization({ scalingFactor: autoencoder.scalingFactor, ...normalisation });
  const checks: CheckCacheResult[] = [];
  for (const entry of (await readManifest(cacheDir)).entries) {
    const outPath = join(config.outDir, 'check', entry.file.replace(/\.safetensors$/, '.png'));
    const result = await checkCache(join(cacheDir, entry.file), autoencoder, { outPath, latentTransform });
    log(`${entry.file} -> ${outPath} (${result.width}x${result.height}, round-trip error ${result.roundTripError?.toExponential(1)})`);
    for (const warning of result.warnings) log(`  warning: ${warning}`);
    checks.push(result);
  }
  const grid = join(config.outDir, 'check', 'grid.png');
  await writeSampleGrid([{ label: 'decoded cache', files: checks.map((check) => check.outPath) }], grid, { tile: 96, labelWidth: 130 });
  log(`decoded entries: ${grid} (${checks.map((check) => basename(check.outPath)).join(', ')})`);
  return { cacheDir, stats, normalisation, checks, grid };
}

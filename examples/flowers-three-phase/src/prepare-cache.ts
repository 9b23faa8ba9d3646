import { join } from 'node:path';
import { writeJsonAtomic } from '@dit/core';
import { cacheStatistics, formatCacheStatistics, formatPreprocessSummary, preprocess, type CacheStatistics } from '@dit/data';
import type { ImageAutoencoder } from '@dit/encoders';
import { textEncoderFor } from './encoders.js';
import type { ResolvedFlowersOptions } from './options.js';
import { encodePrompts, type EncodedPrompts } from './prompts.js';
import type { Scale } from './scales.js';

export interface PrepareCacheOptions {
  flowers: ResolvedFlowersOptions;
  scale: Scale;
  cacheDir: string;
  outDir: string;
  autoencoder: ImageAutoencoder;
}

export type PreparedCache = { status: 'interrupted' } | { status: 'ready'; prompts: EncodedPrompts; stats: CacheStatistics };

/**
 * The original's preprocess.py and calculate_cache_statistics.py: caches every image and caption
 * (re-runs skip what is up to date, so a resumed run loads no text encoder), encodes the
 * generation prompts while the encoder is around, then prints and saves the latent statistics.
 */
export async function prepareCache(options: PrepareCacheOptions): Promise<PreparedCache> {
  const { flowers, scale, cacheDir, outDir, autoencoder } = options;
  const log = flowers.log;
  const textEncoder = await textEncoderFor(scale, flowers.textEncoder, flowers.seed);
  let prompts: EncodedPrompts;
  try {
    const prepared = await preprocess({
      datasetDir: flowers.dataset,
      cacheDir,
      textEncoder,
      autoencoder,
      buckets: scale.buckets,
      resize: 'stretch',
      flip: flowers.flip === 'copies',
      seed: flowers.seed,
      showProgress: flowers.progress,
      signal: flowers.signal,
    });
    for (const line of formatPreprocessSummary(prepared)) log(line);
    if (flowers.signal?.aborted) {
      log('stopped while preprocessing; run the same command again to continue (the cache keeps what is written)');
      return { status: 'interrupted' };
    }
    if (!prepared.ok) log(`warning: some images could not be cached (see ${prepared.reportPath}); training on the rest`);
    prompts = await encodePrompts({ prompts: [...flowers.prompts], textEncoder, file: join(outDir, 'prompts.safetensors') });
  } finally {
    if (!textEncoder.loaded) log(`text encoder ${textEncoder.id}: not loaded (cache and prompts up to date)`);
    textEncoder.dispose();
  }

  const stats = await cacheStatistics(cacheDir);
  await writeJsonAtomic(join(outDir, 'cache-statistics.json'), stats);
  log('cache statistics:');
  // Per-channel lines only where there are few channels (the VAE's 4, not 48 folded pixels).
  const lines = formatCacheStatistics(stats).filter((line) => stats.perChannel.length <= 8 || !/^\s+(channel \d|\(\d+ more channels)/.test(line));
  for (const line of lines) log(`  ${line}`);
  return { status: 'ready', prompts, stats };
}

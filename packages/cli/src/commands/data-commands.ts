import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { CacheEntryError, checkCache, cacheStatistics, formatVerifyCache, readCacheEntryHeader, verifyCache, formatCacheStatistics, formatPreprocessSummary, preprocess, type FlipMode, type ResizeMode } from '@dit/data';
import type { ImageAutoencoder } from '@dit/encoders';
import { LatentNormalization } from '@dit/flow';
import { CliError, EXIT } from '../errors.js';
import { loadAutoencoder, loadTextEncoder, parseBuckets } from '../loaders.js';
import { autoencoderSpecFromId } from '@dit/pipeline';

export interface PreprocessCommandOptions {
  dataset?: string;
  cache?: string;
  textEncoder: string;
  vae: string;
  buckets: string;
  resize: string;
  flip: string;
  maxLength: number;
  seed: number;
  batchSize: number;
  encodeMode: string;
  minSize: number;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new CliError(`--${flag}: expected one of ${allowed.join(', ')}, got '${value}'`, EXIT.usage);
  return value as T;
}

/** `dit preprocess`: exit 0 when every image was cached, 3 when some failed (see the report). */
export async function preprocessCommand(options: PreprocessCommandOptions, out: (line: string) => void): Promise<number> {
  for (const field of ['dataset', 'cache'] as const) {
    if (!options[field]) throw new CliError(`--${field} is required (as a flag or in the --config file)`, EXIT.usage);
  }
  const resize = oneOf<ResizeMode>('resize', options.resize, ['stretch', 'crop']);
  const flipName = oneOf('flip', options.flip, ['none', 'all', 'random']);
  const flip: FlipMode = flipName === 'none' ? false : flipName === 'all' ? true : 'random';
  const encodeMode = oneOf<'sample' | 'mean'>('encode-mode', options.encodeMode, ['sample', 'mean']);
  const buckets = parseBuckets(options.buckets);
  const textEncoder = await loadTextEncoder(options.textEncoder, { maxLength: options.maxLength });
  const autoencoder = await loadAutoencoder(options.vae);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await preprocess({
      datasetDir: options.dataset!,
      cacheDir: options.cache!,
      textEncoder,
      autoencoder,
      buckets,
      resize,
      flip,
      seed: options.seed,
      batchSize: options.batchSize,
      encodeMode,
      minSize: options.minSize,
      showProgress: true,
      signal: controller.signal,
    });
    for (const line of formatPreprocessSummary(result)) out(line);
    if (result.aborted) return EXIT.failure;
    return result.ok ? EXIT.ok : EXIT.partial;
  } finally {
    process.off('SIGINT', onSignal);
    textEncoder.dispose();
    autoencoder.dispose();
  }
}

/** `dit stats`: mean/std of the cached latents and the normalisation they suggest. */
export async function statsCommand(cacheDir: string, options: { json?: boolean }, out: (line: string) => void): Promise<void> {
  const stats = await cacheStatistics(cacheDir, { showProgress: !options.json });
  if (options.json) out(JSON.stringify(stats, null, 2));
  else for (const line of formatCacheStatistics(stats)) out(line);
}

export interface CheckCacheCommandOptions {
  /** Autoencoder spec; default: the one each entry records (`pixel-f8` -> `pixel:8`, else its hub id or folder). */
  vae?: string;
  out?: string;
  std?: number;
  offset?: number;
}

/**
 * `dit check-cache`: a cache folder is checked whole (every entry read, shapes against the
 * manifest, NaN or Inf in latents and text embeddings); entry files are also decoded back to PNGs.
 * Every damaged entry is named on stderr and the others carry on; exit 1 when any was damaged.
 */
export async function checkCacheCommand(paths: string[], options: CheckCacheCommandOptions, io: { out: (line: string) => void; err: (line: string) => void }): Promise<number> {
  let damaged = 0;
  const autoencoders = new Map<string, ImageAutoencoder>();
  try {
    for (const path of paths) {
      if (existsSync(path) && statSync(path).isDirectory()) {
        const result = await verifyCache(path, { showProgress: true });
        const [verdict, ...details] = formatVerifyCache(result);
        (result.ok ? io.out : io.err)(result.ok ? verdict : `error: ${verdict}`);
        for (const line of details) (line.startsWith('  note') ? io.out : io.err)(line);
        damaged += result.problems.length;
        continue;
      }
      try {
        const spec = options.vae ?? autoencoderSpecFromId((await readCacheEntryHeader(path)).metadata.autoencoder);
        if (!autoencoders.has(spec)) autoencoders.set(spec, await loadAutoencoder(spec));
        const autoencoder = autoencoders.get(spec)!;
        const latentTransform =
          options.std !== undefined || options.offset !== undefined
            ? new LatentNormalization({ scalingFactor: autoencoder.scalingFactor, std: options.std ?? 1, offset: options.offset ?? 0 })
            : undefined;
        const outPath = options.out ? join(options.out, basename(path).replace(/\.safetensors$/, '') + '.png') : path.replace(/\.safetensors$/, '') + '.check.png';
        const result = await checkCache(path, autoencoder, { outPath, latentTransform });
        io.out(`${path} -> ${result.outPath} (${result.width}x${result.height}, "${result.metadata.caption.slice(0, 60)}")`);
        if (result.roundTripError !== undefined) io.out(`  normalisation round-trip error: ${result.roundTripError.toExponential(2)}`);
        for (const warning of result.warnings) io.out(`  warning: ${warning}`);
      } catch (error) {
        if (!(error instanceof CacheEntryError)) throw error;
        io.err(`error: ${error.message}`);
        damaged++;
      }
    }
  } finally {
    for (const autoencoder of autoencoders.values()) autoencoder.dispose();
  }
  return damaged > 0 ? EXIT.failure : EXIT.ok;
}

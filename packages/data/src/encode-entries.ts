import { Rng } from '@dit/core';
import type { ImageAutoencoder, TextEncoder } from '@dit/encoders';
import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bucketKey } from './buckets.js';
import { writeCacheEntry } from './cache-entry.js';
import type { CacheSettings } from './cache-settings.js';
import { describeNonFiniteArrays } from './finite.js';
import { decodeImage, type RgbImage } from './image-io.js';
import { sha256 } from './internals/hash.js';
import type { ManifestEntry } from './manifest.js';
import { imagesToTensor } from './pixels.js';
import { manifestEntryFor, type PlannedEntry } from './plan.js';
import type { PreprocessFailure } from './report.js';
import { flipHorizontal, resizeToBucket } from './resize.js';

export interface EncodeEntriesContext {
  cacheDir: string;
  textEncoder: TextEncoder;
  autoencoder: ImageAutoencoder;
  settings: CacheSettings;
  settingsKey: string;
}

interface Prepared {
  entry: PlannedEntry;
  image: RgbImage;
  sourceHash: string;
}

const show = (shape: readonly number[]) => `[${shape.join(', ')}]`;

/** Reads, resizes and (for flipped entries) mirrors the images of a chunk; one decode per source. */
async function prepareImages(entries: readonly PlannedEntry[], settings: CacheSettings, failures: PreprocessFailure[]): Promise<Prepared[]> {
  const decoded = new Map<string, { image: RgbImage; sourceHash: string } | null>();
  const prepared: Prepared[] = [];
  for (const entry of entries) {
    const path = entry.pair.imagePath;
    if (!decoded.has(path)) {
      try {
        const bytes = await readFile(path);
        const image = await decodeImage(bytes, { alpha: settings.alpha, autoOrient: settings.autoOrient, name: path });
        decoded.set(path, { image: await resizeToBucket(image, { bucket: entry.bucket, mode: settings.resize }), sourceHash: sha256(bytes) });
      } catch (error) {
        decoded.set(path, null);
        failures.push({ source: entry.pair.imageFile, kind: 'unreadable-image', message: (error as Error).message });
      }
    }
    const source = decoded.get(path);
    if (source) prepared.push({ entry, image: entry.flipped ? flipHorizontal(source.image) : source.image, sourceHash: source.sourceHash });
  }
  return prepared;
}

/** Encodes images of one bucket: scaled latents `[B, C, h, w]` as one flat array. */
async function encodeImages(items: readonly Prepared[], context: EncodeEntriesContext): Promise<Float32Array> {
  const { autoencoder, settings } = context;
  const { width, height } = items[0].entry.bucket;
  const expected = [items.length, settings.latentChannels, height / settings.downsample, width / settings.downsample];
  // Each image's posterior noise comes from its entry's name alone, so an entry is the same
  // whichever images it was batched with: a resumed run writes what an uninterrupted one would.
  // (The seed, from the whole chunk, serves autoencoders that take no noise.)
  const seed = new Rng(`${settings.seed}/encode/${items.map((item) => item.entry.file).join('|')}`).nextUint32();
  const noise = ([, channels, latentHeight, latentWidth]: [number, number, number, number]) =>
    tf.tidy(() => tf.concat(items.map((item) => new Rng(`${settings.seed}/encode/${item.entry.file}`).normalTensor([1, channels, latentHeight, latentWidth])), 0) as tf.Tensor4D);
  const images = imagesToTensor(items.map((item) => item.image));
  let latents: tf.Tensor | undefined;
  try {
    const encoded = await autoencoder.encode(images, { mode: settings.encodeMode, seed, ...(settings.encodeMode === 'sample' ? { noise } : {}) });
    latents = encoded;
    if (encoded.shape.join() !== expected.join()) {
      throw new Error(`autoencoder ${autoencoder.id} returned latents ${show(encoded.shape)} for images ${show(images.shape)}, expected ${show(expected)}`);
    }
    return (await encoded.data()) as Float32Array;
  } finally {
    images.dispose();
    latents?.dispose();
  }
}

/** Encodes distinct captions in one call: embeddings `[N, L, dim]` and mask `[N, L]` as flat arrays. */
async function encodeCaptions(captions: readonly string[], context: EncodeEntriesContext): Promise<{ embeddings: Float32Array; mask: Int32Array }> {
  const { textEncoder, settings } = context;
  const { embeddings, attentionMask } = await textEncoder.encode([...captions]);
  try {
    const expected = [captions.length, settings.textMaxLength, settings.textDim];
    if (embeddings.shape.join() !== expected.join() || attentionMask.shape.join() !== expected.slice(0, 2).join()) {
      throw new Error(
        `text encoder ${textEncoder.id} returned embeddings ${show(embeddings.shape)} and mask ${show(attentionMask.shape)}, expected ${show(expected)} and ${show(expected.slice(0, 2))}`,
      );
    }
    const mask = await attentionMask.data();
    return { embeddings: (await embeddings.data()) as Float32Array, mask: mask instanceof Int32Array ? mask : Int32Array.from(mask, (v) => (v ? 1 : 0)) };
  } finally {
    embeddings.dispose();
    attentionMask.dispose();
  }
}

/**
 * Makes and writes the entries of one chunk: images batched per bucket through the autoencoder,
 * distinct captions batched through the text encoder. Failures are recorded per source and the
 * rest of the chunk carries on. No tensor outlives the call.
 */
export async function encodeEntries(
  entries: readonly PlannedEntry[],
  context: EncodeEntriesContext,
): Promise<{ written: ManifestEntry[]; failures: PreprocessFailure[] }> {
  const failures: PreprocessFailure[] = [];
  const written: ManifestEntry[] = [];
  const prepared = await prepareImages(entries, context.settings, failures);
  if (prepared.length === 0) return { written, failures };

  const captions = [...new Set(prepared.map((item) => item.entry.caption))];
  let text: { embeddings: Float32Array; mask: Int32Array };
  try {
    text = await encodeCaptions(captions, context);
  } catch (error) {
    for (const item of prepared) failures.push({ source: item.entry.pair.imageFile, kind: 'encode-failed', message: `${item.entry.pair.imagePath}: ${(error as Error).message}` });
    return { written, failures };
  }
  const { textMaxLength: length, textDim: dim } = context.settings;

  const groups = new Map<string, Prepared[]>();
  for (const item of prepared) {
    const key = bucketKey(item.entry.bucket);
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  for (const items of groups.values()) {
    let latents: Float32Array;
    try {
      latents = await encodeImages(items, context);
    } catch (error) {
      for (const item of items) failures.push({ source: item.entry.pair.imageFile, kind: 'encode-failed', message: `${item.entry.pair.imagePath}: ${(error as Error).message}` });
      continue;
    }
    const perItem = latents.length / items.length;
    for (const [i, item] of items.entries()) {
      const entry = { ...item.entry, sourceHash: item.sourceHash };
      const line = manifestEntryFor(entry, context.settings);
      const t = captions.indexOf(entry.caption);
      const itemLatents = latents.subarray(i * perItem, (i + 1) * perItem);
      const itemText = text.embeddings.subarray(t * length * dim, (t + 1) * length * dim);
      // An encoder that overflows (a VAE in half precision, say) must not leave NaN in the cache.
      const nonFinite = describeNonFiniteArrays([
        [`the latents of autoencoder ${context.autoencoder.id}`, itemLatents],
        [`the embeddings of text encoder ${context.textEncoder.id}`, itemText],
      ]);
      if (nonFinite) {
        failures.push({ source: entry.pair.imageFile, kind: 'encode-failed', message: `${entry.pair.imagePath}: ${nonFinite}; nothing written` });
        continue;
      }
      try {
        await writeCacheEntry(join(context.cacheDir, entry.file), {
          metadata: {
            width: entry.bucket.width,
            height: entry.bucket.height,
            flipped: entry.flipped,
            caption: entry.caption,
            source: entry.pair.imageFile,
            sourceHash: entry.sourceHash,
            captionHash: entry.captionHash,
            originalWidth: entry.originalWidth,
            originalHeight: entry.originalHeight,
            textEncoder: context.settings.textEncoder,
            autoencoder: context.settings.autoencoder,
            resize: context.settings.resize,
            settings: context.settingsKey,
          },
          latents: { shape: line.latentShape, data: itemLatents.slice() },
          textEmbeddings: { shape: line.textShape, data: itemText.slice() },
          attentionMask: { shape: [length], data: text.mask.slice(t * length, (t + 1) * length) },
        });
        written.push(line);
      } catch (error) {
        failures.push({ source: entry.pair.imageFile, kind: 'write-failed', message: (error as Error).message });
      }
    }
  }
  return { written, failures };
}

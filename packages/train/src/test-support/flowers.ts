import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import { decodeImage, imagesToTensor, resizeToBucket } from '@dit/data';
import { PixelAutoencoder, type TextEncoder } from '@dit/encoders';
import { presets } from '@dit/model';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InMemoryDataset, type InMemoryEntry } from '../in-memory-dataset.js';

/** The data package's eight downscaled flower images with captions. */
export const FLOWERS_DIR = fileURLToPath(new URL('../../../data/fixtures/flowers/', import.meta.url));

/** The tiny preset with 3 input channels, for pixel latents from PixelAutoencoder({ factor: 1 }). */
export const TINY_PIXEL_CONFIG = { ...presets.tiny, inChannels: 3 };

/** Words to fixed random vectors, zero-padded to 16 tokens of 48: a stand-in text encoder. */
export function hashText(caption: string, length = TINY_PIXEL_CONFIG.textLength, dim = TINY_PIXEL_CONFIG.textDim): tf.Tensor2D {
  const data = new Float32Array(length * dim);
  const words = caption.toLowerCase().split(/[^a-z0-9]+/).filter(Boolean).slice(0, length);
  words.forEach((word, i) => data.set(new Rng(`word/${word}`).normalArray(dim), i * dim));
  return tf.tensor2d(data, [length, dim]);
}

/** The fixture flowers resized to `size` x `size`, as pixel latents in [-1, 1], with hashed captions. */
export async function flowerEntries(options: { size?: number; count?: number } = {}): Promise<InMemoryEntry[]> {
  const { size = 8, count = 8 } = options;
  const autoencoder = new PixelAutoencoder();
  const stems = readdirSync(FLOWERS_DIR)
    .filter((name) => /\.(png|jpg|webp)$/.test(name))
    .sort()
    .slice(0, count);
  const entries: InMemoryEntry[] = [];
  for (const name of stems) {
    const image = await resizeToBucket(await decodeImage(new Uint8Array(readFileSync(join(FLOWERS_DIR, name)))), { bucket: { width: size, height: size } });
    const pixels = imagesToTensor([image]);
    const latents = await autoencoder.encode(pixels);
    const caption = readFileSync(join(FLOWERS_DIR, name.replace(/\.\w+$/, '.txt')), 'utf8').trim();
    const text = hashText(caption);
    entries.push({ latents: { data: latents.dataSync() as Float32Array, shape: latents.shape.slice(1) }, text: { data: text.dataSync() as Float32Array, shape: [...text.shape] }, caption });
    tf.dispose([pixels, latents, text]);
  }
  return entries;
}

export async function flowerDataset(options: { size?: number; count?: number } = {}): Promise<InMemoryDataset> {
  return new InMemoryDataset(await flowerEntries(options));
}

/** A TextEncoder (the @dit/encoders interface) made of {@link hashText}, for preprocess(). */
export class HashTextEncoder implements TextEncoder {
  readonly id = 'hash-text-train-test';
  readonly dim = TINY_PIXEL_CONFIG.textDim;
  readonly maxLength = TINY_PIXEL_CONFIG.textLength;

  async encode(prompts: string[]): Promise<{ embeddings: tf.Tensor3D; attentionMask: tf.Tensor2D }> {
    const rows = prompts.map((prompt) => hashText(prompt));
    const embeddings = tf.stack(rows) as tf.Tensor3D;
    const mask = tf.tidy(() => tf.cast(tf.notEqual(tf.sum(tf.abs(embeddings), 2), 0), 'int32')) as tf.Tensor2D;
    tf.dispose(rows);
    return { embeddings, attentionMask: mask };
  }

  dispose(): void {}
}

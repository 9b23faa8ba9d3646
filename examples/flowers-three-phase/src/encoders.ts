import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import {
  AutoencoderKL,
  parseT5Gemma2Config,
  PixelAutoencoder,
  resolveModelFiles,
  T5Gemma2TextEncoder,
  T5GEMMA2_PRESETS,
  type ImageAutoencoder,
  type TextEncoder,
} from '@dit/encoders';
import type { Scale } from './scales.js';

/** The VAE of the run: EQ-SDXL-VAE (or `spec`) at full scale, pixels folded 4x4 at tiny scale. */
export async function loadAutoencoder(scale: Scale, spec: string | undefined): Promise<ImageAutoencoder> {
  if (scale.pixelFactor !== null && spec === undefined) return new PixelAutoencoder({ factor: scale.pixelFactor });
  const id = spec ?? scale.vae;
  if (!id) throw new Error(`scale '${scale.name}' has no default VAE; pass --vae`);
  return AutoencoderKL.fromPretrained(id);
}

/**
 * A text encoder that loads only when a caption actually needs encoding. The cache records the
 * encoder's id, width and length, and re-running preprocessing over an up-to-date cache (every
 * resume) then costs no 2.8 GB model load.
 */
export function lazyTextEncoder(info: { id: string; dim: number; maxLength: number; load: () => Promise<TextEncoder> }): TextEncoder & { loaded: boolean } {
  let loading: Promise<TextEncoder> | null = null;
  let encoder: TextEncoder | null = null;
  return {
    id: info.id,
    dim: info.dim,
    maxLength: info.maxLength,
    get loaded() {
      return encoder !== null;
    },
    async encode(prompts: string[]): Promise<{ embeddings: tf.Tensor3D; attentionMask: tf.Tensor2D }> {
      loading ??= info.load().then((loaded) => {
        if (loaded.dim !== info.dim || loaded.maxLength !== info.maxLength || loaded.id !== info.id) {
          loaded.dispose();
          throw new Error(`text encoder ${info.id}: loaded as ${loaded.id} (${loaded.maxLength} x ${loaded.dim}), expected ${info.maxLength} x ${info.dim}`);
        }
        encoder = loaded;
        return loaded;
      });
      return (await loading).encode(prompts);
    },
    dispose() {
      encoder?.dispose();
      encoder = null;
      loading = null;
    },
  };
}

/**
 * The run's text encoder, not yet loaded: T5Gemma 2 from the hub or a folder (full scale; only
 * its config.json is read now), or a random tiny T5Gemma 2 with the real Gemma 3 tokenizer.
 */
export async function textEncoderFor(scale: Scale, spec: string | undefined, seed: number): Promise<TextEncoder & { loaded: boolean }> {
  const maxLength = scale.textLength;
  if (scale.textEncoder === null && spec === undefined) {
    return lazyTextEncoder({
      id: `t5gemma2-random-tiny-seed${seed}`,
      dim: T5GEMMA2_PRESETS.tiny().hiddenSize,
      maxLength,
      load: () => T5Gemma2TextEncoder.random({ config: 'tiny', seed, maxLength }),
    });
  }
  const source = spec ?? scale.textEncoder!;
  const resolved = await resolveModelFiles(source, { files: ['config.json'] });
  // The id `dit preprocess` records too: the hub id, or the folder's name.
  const id = resolved.repoId ?? basename(resolved.dir);
  const configPath = resolved.files['config.json'];
  const config = parseT5Gemma2Config(JSON.parse(await readFile(configPath, 'utf8')), configPath);
  return lazyTextEncoder({ id, dim: config.hiddenSize, maxLength, load: () => T5Gemma2TextEncoder.fromPretrained(source, { maxLength, id }) });
}

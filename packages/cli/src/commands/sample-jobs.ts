import * as tf from '@tensorflow/tfjs-core';
import { basename } from 'node:path';
import { readCacheEntry } from '@dit/data';
import type { TextEncoder } from '@dit/encoders';
import type { SingleStreamDiTV2 } from '@dit/model';
import { CliError, EXIT } from '../errors.js';

/** One prompt or cache entry to sample: its conditioning and latent size. */
export interface Job {
  name: string;
  prompt: string;
  entry: string | null;
  /** [1, L, dim] */
  cond: tf.Tensor3D;
  /** Latent size. */
  height: number;
  width: number;
}

/** A file-name-safe piece of a prompt or entry name. */
export function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40).replace(/-$/, '') || 'image';
}

/** Encodes prompts (and the negative prompt) with a text encoder that must fit the model. */
export async function promptJobs(model: SingleStreamDiTV2, encoder: TextEncoder, prompts: string[], size: { width: number; height: number }, negativePrompt?: string) {
  const { textLength, textDim } = model.config;
  if (encoder.dim !== textDim || encoder.maxLength !== textLength) {
    throw new CliError(`text encoder ${encoder.id} gives [${encoder.maxLength}, ${encoder.dim}] embeddings, the model takes [${textLength}, ${textDim}] (config text_length, text_embed_dim)`, EXIT.usage);
  }
  const { embeddings, attentionMask } = await encoder.encode(prompts);
  attentionMask.dispose();
  const jobs: Job[] = prompts.map((prompt, i) => ({
    name: slug(prompt),
    prompt,
    entry: null,
    cond: tf.slice(embeddings, [i, 0, 0], [1, -1, -1]),
    ...size,
  }));
  embeddings.dispose();
  let uncond: tf.Tensor3D | undefined;
  if (negativePrompt !== undefined) {
    const negative = await encoder.encode([negativePrompt]);
    negative.attentionMask.dispose();
    uncond = negative.embeddings;
  }
  return { jobs, uncond };
}

/** A cache entry's text embeddings at its size (or the size asked for, in pixels). */
export async function entryJob(model: SingleStreamDiTV2, path: string, size: { width?: number; height?: number }, downsample: number): Promise<Job> {
  const entry = await readCacheEntry(path);
  const { inChannels, textLength, textDim } = model.config;
  const [channels, latentHeight, latentWidth] = entry.latents.shape;
  const [length, dim] = entry.textEmbeddings.shape;
  if (channels !== inChannels || length !== textLength || dim !== textDim) {
    throw new CliError(
      `${path}: latents [${entry.latents.shape.join(', ')}] and text [${length}, ${dim}] do not fit the model (in_channels ${inChannels}, text [${textLength}, ${textDim}])`,
      EXIT.usage,
    );
  }
  return {
    name: slug(basename(path).replace(/\.safetensors$/, '')),
    prompt: entry.metadata.caption,
    entry: path,
    cond: tf.tensor3d(entry.textEmbeddings.data, [1, length, dim]),
    height: size.height !== undefined ? size.height / downsample : latentHeight,
    width: size.width !== undefined ? size.width / downsample : latentWidth,
  };
}

import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, writeSafetensors } from '@dit/core';
import type { TextEncoder } from '@dit/encoders';

/** Encoded prompts: text embeddings [P, L, dim] (right-padded, as in the cache). */
export interface EncodedPrompts {
  prompts: string[];
  embeddings: Float32Array;
  shape: [number, number, number];
}

/**
 * Encodes the generation prompts once, while the text encoder is around, and keeps them in a
 * safetensors file (`text_embeds`, as the cache names them) so resumed runs need no encoder.
 * The file is reused only for the same prompts and the same encoder.
 */
export async function encodePrompts(options: { prompts: string[]; textEncoder: TextEncoder; file: string }): Promise<EncodedPrompts> {
  const { prompts, textEncoder, file } = options;
  const key = { prompts: JSON.stringify(prompts), text_encoder: textEncoder.id, max_length: String(textEncoder.maxLength) };
  if (existsSync(file)) {
    const { tensors, metadata } = await readAllTensors(file);
    const stored = tensors.get('text_embeds');
    if (stored && metadata.prompts === key.prompts && metadata.text_encoder === key.text_encoder && metadata.max_length === key.max_length) {
      return { prompts, embeddings: stored.data as Float32Array, shape: stored.shape as [number, number, number] };
    }
  }
  const { embeddings, attentionMask } = await textEncoder.encode(prompts);
  const shape = embeddings.shape as [number, number, number];
  const data = (await embeddings.data()) as Float32Array;
  const mask = (await attentionMask.data()) as Int32Array;
  tf.dispose([embeddings, attentionMask]);
  await writeSafetensors(file, { text_embeds: { shape, data }, attention_mask: { shape: shape.slice(0, 2), data: mask, dtype: 'I32' } }, { metadata: key });
  return { prompts, embeddings: data, shape };
}

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { definedOnly } from '@dit/core';
import type { ImageAutoencoder, TextEncoder } from '@dit/encoders';
import { SingleStreamDiTV2, WEIGHTS_FILE, type FromPretrainedOptions as ModelFromPretrainedOptions } from '@dit/model';
import type { LatentNormalizationValues, SamplingDefaults } from './options.js';
import { autoencoderSpecFromId, loadAutoencoder, loadTextEncoder, textEncoderSpecFromId } from './parts.js';
import { PIPELINE_FILE, readPipelineIndex, resolvePartSpec } from './pipeline-index.js';
import type { DiTPipelineParts, PipelinePart } from './pipeline.js';

/** The original's parts (SPEC section 1), taken for a plain model folder without pipeline.json. */
export const PIPELINE_PART_DEFAULTS = {
  textEncoder: 'google/t5gemma-2-1b-1b',
  autoencoder: 'KBlueLeaf/EQ-SDXL-VAE',
} as const;

/** `DiTPipeline.fromPretrained` options: anything given replaces what the folder records. */
export interface FromPretrainedOptions {
  /** A spec (`loadTextEncoder`), your own encoder (stays yours), or null for none (prompts then come as embeddings). */
  textEncoder?: string | TextEncoder | null;
  /** A spec (`loadAutoencoder`), your own autoencoder (stays yours), or null for none. */
  autoencoder?: string | ImageAutoencoder | null;
  latentNormalization?: Partial<LatentNormalizationValues>;
  sampling?: Partial<SamplingDefaults>;
  /** The weights file inside the folder, e.g. a training checkpoint's `ema.safetensors`. Default model.safetensors. */
  weights?: string;
  /** Run-time options of the model (gradient checkpointing, the memory check). */
  model?: ModelFromPretrainedOptions['model'];
}

type Disposable = { dispose(): void };

/** Loads the parts of a pipeline folder and builds the pipeline with `build` (which owns what was loaded here). */
export async function fromPretrained<P>(dir: string, options: FromPretrainedOptions, build: (parts: DiTPipelineParts) => P): Promise<P> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: no such folder (expected a pipeline folder: config.json, ${WEIGHTS_FILE}, ${PIPELINE_FILE})`);
  const index = await readPipelineIndex(dir);
  const weights = join(dir, options.weights ?? WEIGHTS_FILE);
  if (!existsSync(weights)) throw new Error(`${dir}: no ${options.weights ?? WEIGHTS_FILE}`);
  const loaded: Disposable[] = [];
  const owned: PipelinePart[] = [];
  try {
    const model = await SingleStreamDiTV2.fromPretrained(weights, { model: options.model });
    loaded.push(model);
    owned.push('model');

    const recorded = (part: 'textEncoder' | 'autoencoder') => (index ? index[part] : PIPELINE_PART_DEFAULTS[part]);
    const autoencoderOption = options.autoencoder !== undefined ? options.autoencoder : recorded('autoencoder');
    let autoencoder: ImageAutoencoder | null = null;
    let autoencoderSource: string | null = null;
    if (typeof autoencoderOption === 'string') {
      autoencoderSource = resolvePartSpec(dir, autoencoderOption);
      autoencoder = await loadAutoencoder(autoencoderSource);
      loaded.push(autoencoder);
      owned.push('autoencoder');
    } else if (autoencoderOption) {
      autoencoder = autoencoderOption;
      autoencoderSource = autoencoderSpecFromId(autoencoder.id);
    }

    const textEncoderOption = options.textEncoder !== undefined ? options.textEncoder : recorded('textEncoder');
    let textEncoder: TextEncoder | null = null;
    let textEncoderSource: string | null = null;
    if (typeof textEncoderOption === 'string') {
      textEncoderSource = resolvePartSpec(dir, textEncoderOption);
      textEncoder = await loadTextEncoder(textEncoderSource, { maxLength: model.config.textLength });
      loaded.push(textEncoder);
      owned.push('textEncoder');
    } else if (textEncoderOption) {
      textEncoder = textEncoderOption;
      textEncoderSource = textEncoderSpecFromId(textEncoder.id);
    }

    return build({
      model,
      textEncoder,
      autoencoder,
      latentNormalization: { ...index?.latentNormalization, ...definedOnly(options.latentNormalization ?? {}) },
      sampling: { ...index?.sampling, ...definedOnly(options.sampling ?? {}) },
      sources: { textEncoder: textEncoderSource, autoencoder: autoencoderSource },
      owned,
    });
  } catch (error) {
    for (const part of loaded) part.dispose();
    throw error;
  }
}


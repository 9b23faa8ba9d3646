// @dit/core registers tfjs' gradients and chained ops (its union-package import).
import '@dit/core';

export { DiTPipeline, type DiTPipelineParts, type PipelinePart } from './pipeline.js';
export { PIPELINE_PART_DEFAULTS, type FromPretrainedOptions } from './from-pretrained.js';
export {
  GENERATE_DEFAULTS,
  SAMPLING_DEFAULTS,
  LATENT_NORMALIZATION_IDENTITY,
  type GenerateOptions,
  type GenerateResult,
  type GenerateStepInfo,
  type GeneratedImageInfo,
  type SamplingDefaults,
  type LatentNormalizationValues,
  type EncodedPrompts,
  type PrepareNoiseOptions,
  type DenoiseOptions,
} from './options.js';
export {
  PIPELINE_FILE,
  PIPELINE_FORMAT,
  PIPELINE_VERSION,
  readPipelineIndex,
  writePipelineIndex,
  type PipelineIndex,
  type PipelineIndexInput,
} from './pipeline-index.js';
export { loadTextEncoder, loadAutoencoder, textEncoderSpecFromId, autoencoderSpecFromId } from './parts.js';
export { PipelineOptionError } from './errors.js';
export { imageSettingsToPngText, imageFileSlug, type ImageSettings } from './image-settings.js';

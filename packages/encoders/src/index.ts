import '@dit/core';

export type { TextEncoder, ImageAutoencoder, EncodeImageOptions } from './interfaces.js';
export { PixelAutoencoder, type PixelAutoencoderOptions } from './pixel-autoencoder.js';
export {
  resolveModelFiles,
  HubError,
  hubCacheDir,
  hubToken,
  hubUrl,
  isOffline,
  repoFolderName,
  DEFAULT_HUB_URL,
  type ResolveModelFilesOptions,
  type ResolvedModelFiles,
  type FileSelector,
  type HubErrorKind,
  type HubEnv,
} from './hub/index.js';
export {
  AutoencoderKL,
  DEFAULT_AUTOENCODER_KL_OPTIONS,
  parseAutoencoderKLConfig,
  readAutoencoderKLConfig,
  downsampleFactor,
  DEFAULT_AUTOENCODER_KL_CONFIG,
  autoencoderKLTensorLayout,
  canonicalTensorName,
  VaeWeights,
  resolveAutoencoderKLFiles,
  weightCandidates,
  DEFAULT_TILE_OVERLAP,
  type AutoencoderKLOptions,
  type AutoencoderKLLoadOptions,
  type LatentPosterior,
  type AutoencoderKLConfig,
  type TensorSpec,
  type AutoencoderKLSourceOptions,
  type TiledDecodeOptions,
  type TilingOptions,
  type AutoencoderKLEncodeOptions,
} from './vae/index.js';
export {
  T5Gemma2TextEncoder,
  T5GEMMA2_TEXT_ENCODER_DEFAULTS,
  t5gemma2ModelFiles,
  type T5Gemma2TextEncoderOptions,
  type T5Gemma2FromPretrainedOptions,
  type T5Gemma2RandomOptions,
} from './t5gemma/text-encoder.js';
export { T5Gemma2Encoder, type EncoderBatch as T5Gemma2EncoderBatch } from './t5gemma/encoder.js';
export {
  parseT5Gemma2Config,
  T5Gemma2ConfigError,
  T5GEMMA2_TEXT_DEFAULTS,
  type T5Gemma2EncoderConfig,
  type LayerType as T5Gemma2LayerType,
  type RopeConfig as T5Gemma2RopeConfig,
  type HiddenActivation as T5Gemma2HiddenActivation,
} from './t5gemma/config.js';
export { T5GEMMA2_PRESETS, type T5Gemma2PresetName } from './t5gemma/presets.js';
export {
  checkCheckpoint as checkT5Gemma2Checkpoint,
  detectLayout as detectT5Gemma2Layout,
  encoderTensorPlan as t5gemma2TensorPlan,
  TEXT_ENCODER_PREFIXES as T5GEMMA2_TEXT_PREFIXES,
  type CheckpointLayout as T5Gemma2CheckpointLayout,
  type PlannedTensor as T5Gemma2PlannedTensor,
} from './t5gemma/weights.js';
export { FileEmbeddingRows, SeededEmbeddingRows, type EmbeddingRows } from './t5gemma/embedding.js';
export {
  GemmaTokenizer,
  TOKENIZE_BATCH_DEFAULTS,
  type TokenizeBatchOptions,
  type TokenizedBatch,
  type PaddingSide,
} from './tokenizer/gemma-tokenizer.js';
export { gemma3Tokenizer, gemma3TokenizerPath, GEMMA3_TOKENIZER_PACKAGE, T5GEMMA2_TOKENIZER_CONFIG } from './tokenizer/gemma3.js';

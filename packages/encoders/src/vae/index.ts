export { AutoencoderKL, DEFAULT_AUTOENCODER_KL_OPTIONS, type AutoencoderKLEncodeOptions, type AutoencoderKLOptions, type AutoencoderKLLoadOptions, type LatentPosterior } from './autoencoder-kl.js';
export {
  parseAutoencoderKLConfig,
  readAutoencoderKLConfig,
  downsampleFactor,
  DEFAULT_AUTOENCODER_KL_CONFIG,
  type AutoencoderKLConfig,
} from './config.js';
export { autoencoderKLTensorLayout, canonicalTensorName, VaeWeights, type TensorSpec } from './weights.js';
export { resolveAutoencoderKLFiles, weightCandidates, type AutoencoderKLSourceOptions } from './load.js';
export { DEFAULT_TILE_OVERLAP, type TiledDecodeOptions, type TilingOptions } from './tiling.js';

import '@dit/core';

export { interpolate, velocityTarget, predictClean, predictNoise } from './path.js';
export type { TimeInput } from './internals/time-column.js';
export {
  mseLoss,
  l1Loss,
  huberLoss,
  flowLoss,
  LOSS_DEFAULTS,
  type LossKind,
  type LossReduction,
  type LossOptions,
  type HuberLossOptions,
  type FlowLossOptions,
} from './losses.js';
export {
  timestepLossWeight,
  TIMESTEP_LOSS_WEIGHT_DEFAULTS,
  type LossWeightingScheme,
  type TimestepLossWeightOptions,
} from './loss-weighting.js';
export { shiftTime, shiftTimesteps } from './timestep-shift.js';
export {
  sampleTimesteps,
  sampleTimestepValues,
  TIMESTEP_DEFAULTS,
  type TimestepDistribution,
  type SampleTimestepsOptions,
} from './timesteps.js';
export {
  LatentNormalization,
  LATENT_NORMALIZATION_DEFAULTS,
  LATENT_NORMALIZATION_PHASES,
  type LatentNormalizationOptions,
  type LatentNormalizationValues,
  type LatentNormalizationPhase,
} from './latent-norm.js';
export { dropText, type DropTextOptions, type DroppedText } from './text-dropout.js';

import { phaseIndexAt } from '../phases.js';
import type { TrainState } from './state.js';

/** Cached latent -> model latent: `latent / std + offset` (SPEC section 4). */
export interface TrainedLatentNorm {
  std: number;
  offset: number;
}

/**
 * The latent normalisation of the phase that trained the weights in a checkpoint: the phase of
 * the last epoch trained (a phase-end checkpoint already points at the next phase). Sampling
 * with those weights must undo this normalisation.
 */
export function trainedLatentNorm(state: TrainState): TrainedLatentNorm {
  const { schedule } = state.config;
  const { epoch, batch, globalStep } = state.position;
  const lastTrained = globalStep === 0 ? schedule[0].epochs[0] : batch > 0 ? epoch : epoch - 1;
  const index = phaseIndexAt(schedule, Math.max(lastTrained, schedule[0].epochs[0]));
  const phase = index === -1 ? schedule[schedule.length - 1] : schedule[index];
  return { std: phase.latentNorm?.std ?? 1, offset: phase.latentNorm?.offset ?? 0 };
}

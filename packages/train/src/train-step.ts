import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@dit/core';
import type { SampledBatch } from '@dit/data';
import { dropText, flowLoss, interpolate, sampleTimestepValues, velocityTarget, type LatentNormalization, type LossKind } from '@dit/flow';
import type { SingleStreamDiTV2 } from '@dit/model';
import { GradientAccumulator, microBatchSizes } from './accumulate.js';
import type { TrainPosition } from './checkpoint/state.js';
import { clipGradNorm, globalNorm } from './clip.js';
import type { TrainingDataset } from './dataset.js';
import type { Ema } from './ema.js';
import { lossByTimestepBin, type StepRecord } from './logs/jsonl-log.js';
import type { Optimizer } from './optim/optimizer.js';
import { learningRateFor, type PhasePlan } from './phase-plan.js';

export interface ComputeGradientsOptions {
  model: SingleStreamDiTV2;
  /** Model-space clean latents x1 [B, C, h, w]. */
  latents: tf.Tensor4D;
  /** Noise x0 like `latents`. */
  noise: tf.Tensor4D;
  /** Text embeddings [B, L, dim] (after dropout). */
  text: tf.Tensor3D;
  /** Training times, one per sample. */
  times: readonly number[];
  loss: LossKind;
  /** Samples per forward/backward pass; gradients of the passes are accumulated. */
  microBatch: number;
}

export interface ComputedGradients {
  /** Gradient of the batch's mean loss, by parameter name; the caller disposes them. */
  grads: Map<string, tf.Tensor>;
  /** The batch's mean loss. */
  loss: number;
  /** Each sample's mean loss (for the per-timestep log). */
  perSampleLoss: number[];
}

/**
 * One batch's flow-matching gradients (SPEC section 3): x_t = (1 - t) x0 + t x1, target
 * x1 - x0, loss between the network's velocity and the target, micro-batch by micro-batch.
 */
export async function computeGradients(options: ComputeGradientsOptions): Promise<ComputedGradients> {
  const { model, latents, noise, text, times, loss: kind, microBatch } = options;
  const batchSize = latents.shape[0];
  if (times.length !== batchSize) throw new Error(`times has ${times.length} values for a batch of ${batchSize}`);
  const names = model.namedVariables().map(({ name }) => name);
  const accumulator = new GradientAccumulator();
  const perSampleLoss: number[] = [];
  let loss = 0;
  try {
    let offset = 0;
    for (const size of microBatchSizes({ batchSize, microBatch })) {
      const part = <T extends tf.Tensor>(tensor: T): T => (size === batchSize ? tensor : tf.slice(tensor, offset, size));
      const [x1, x0, cond] = [part(latents), part(noise), part(text)];
      const t = tf.tensor1d(times.slice(offset, offset + size), 'float32');
      let perSample: tf.Tensor | undefined;
      try {
        // The model's own gradient path: its gradients come aligned with namedVariables().
        const { value, gradients } = model.valueAndGradients(() => {
          const xt = interpolate(x0, x1, t) as tf.Tensor4D;
          const prediction = model.forward(xt, t, cond);
          const losses = flowLoss({ kind, prediction, target: velocityTarget(x0, x1), reduction: 'per-sample' });
          perSample = tf.keep(losses);
          return tf.mean(losses) as tf.Scalar;
        });
        const weight = size / batchSize;
        accumulator.add(new Map(gradients.map((gradient, i) => [names[i], gradient] as [string, tf.Tensor])), weight);
        tf.dispose(gradients);
        loss += weight * (await value.data())[0];
        value.dispose();
        perSampleLoss.push(...((await perSample!.data()) as Float32Array));
      } finally {
        perSample?.dispose();
        t.dispose();
        if (size !== batchSize) tf.dispose([x1, x0, cond]);
      }
      offset += size;
    }
    return { grads: accumulator.take(), loss, perSampleLoss };
  } catch (error) {
    accumulator.dispose();
    throw error;
  }
}

export interface TrainStepOptions {
  model: SingleStreamDiTV2;
  dataset: TrainingDataset;
  plan: PhasePlan;
  /** The position of the step (its epoch, global and phase step counts). */
  position: TrainPosition;
  batch: SampledBatch;
  /** Streams for noise, training times and text dropout (saved in checkpoints). */
  rngs: { noise: Rng; timesteps: Rng; textDropout: Rng };
  /** Seeds the load-time flips, which depend only on (seed, epoch, batch). */
  seed: number;
  latentNorm: LatentNormalization;
  optimizer: Optimizer;
  ema: Ema | null;
  microBatch: number;
  maxGradNorm: number | null;
  timestepBins: number;
}

/**
 * One optimiser step: load the batch, normalise latents (SPEC section 4), drop text, draw
 * noise and times, accumulate gradients over micro-batches, clip, update the weights and the
 * EMA. A non-finite loss or gradient leaves the weights as they were (the record says skipped).
 */
export async function runTrainStep(options: TrainStepOptions): Promise<StepRecord> {
  const { plan, position, rngs, batch } = options;
  const { phase } = plan;
  const started = performance.now();
  const lr = learningRateFor(plan, position).value;
  const loaded = await options.dataset.loadBatch(batch, { flip: plan.flipAtLoad, textDropout: 0, rng: new Rng(`flip/${options.seed}/${batch.epoch}/${batch.position}`) });
  const latents = options.latentNorm.toModel(loaded.latents) as tf.Tensor4D;
  const { text } = dropText({ text: loaded.text, probability: phase.textDropout, rng: rngs.textDropout });
  tf.dispose([loaded.latents, loaded.text, ...(loaded.attentionMask ? [loaded.attentionMask] : [])]);
  const size = latents.shape[0];
  const times = sampleTimestepValues({ batchSize: size, rng: rngs.timesteps, distribution: phase.timesteps, shift: phase.timestepShift });
  const noise = rngs.noise.normalTensor(latents.shape) as tf.Tensor4D;
  let grads: Map<string, tf.Tensor> | undefined;
  try {
    const computed = await computeGradients({ model: options.model, latents, noise, text: text as tf.Tensor3D, times, loss: phase.loss, microBatch: options.microBatch });
    grads = computed.grads;
    const { totalNorm, scale } =
      options.maxGradNorm !== null ? await clipGradNorm(grads, { maxNorm: options.maxGradNorm }) : { totalNorm: await globalNorm([...grads.values()]), scale: 1 };
    const finite = Number.isFinite(computed.loss) && Number.isFinite(totalNorm);
    if (finite) {
      await options.optimizer.apply(grads, lr);
      if (phase.ema !== false) options.ema?.update();
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      type: 'step',
      phase: phase.name,
      epoch: position.epoch,
      step: position.globalStep + 1,
      loss: computed.loss,
      lr,
      gradNorm: totalNorm,
      clipScale: scale,
      imagesPerSecond: size / Math.max(seconds, 1e-9),
      seconds,
      elapsed: 0,
      binLoss: lossByTimestepBin({ times, losses: computed.perSampleLoss, bins: options.timestepBins }),
      ...(finite ? {} : { skipped: true }),
    };
  } finally {
    tf.dispose([latents, text, noise, ...(grads?.values() ?? [])]);
  }
}

import * as tf from '@tensorflow/tfjs-core';
import type { StepVelocity, VelocityFn } from './types.js';

/**
 * 'batched': one network call on [uncond; cond] stacked along the batch axis (the original's
 * layout: unconditional first). 'separate': two calls of batch B, for less peak memory.
 */
export type CfgMode = 'batched' | 'separate';

export interface GuidedVelocityOptions {
  velocity: VelocityFn;
  /** Text conditioning [B, ...] (or [1, ...], repeated over the batch). */
  cond: tf.Tensor;
  /** Unconditional text like `cond`; default all zeros (SPEC section 3), or a negative prompt. */
  uncond?: tf.Tensor;
  /** w in v = v_u + w (v_c - v_u); 1 evaluates only the conditional velocity, 0 only the unconditional one. */
  guidanceScale?: number;
  cfgMode?: CfgMode;
  /** Batch size B of the latents the velocity will be called with. */
  batchSize: number;
}

export const GUIDANCE_DEFAULTS = { guidanceScale: 1.5, cfgMode: 'batched' } as const satisfies Partial<GuidedVelocityOptions>;

/** A guided velocity (x, t) -> v holding its text tensors; call `dispose` when done. */
export interface GuidedVelocity {
  velocity: StepVelocity;
  dispose(): void;
}

/** Classifier-free guidance (SPEC section 3): v = v_u + w (v_c - v_u). */
export function guidedVelocity(options: GuidedVelocityOptions): GuidedVelocity {
  const { velocity, batchSize } = options;
  const guidanceScale = options.guidanceScale ?? GUIDANCE_DEFAULTS.guidanceScale;
  const cfgMode = options.cfgMode ?? GUIDANCE_DEFAULTS.cfgMode;
  if (!Number.isFinite(guidanceScale)) throw new Error(`guidanceScale must be a finite number, got ${guidanceScale}`);
  if (cfgMode !== 'batched' && cfgMode !== 'separate') throw new Error(`cfgMode must be 'batched' or 'separate', got ${JSON.stringify(cfgMode)}`);
  if (options.uncond && !sameShape(options.uncond, options.cond)) {
    throw new Error(`uncond [${options.uncond.shape.join(', ')}] must have the shape of cond [${options.cond.shape.join(', ')}]`);
  }
  const needsCond = guidanceScale !== 0;
  const needsUncond = guidanceScale !== 1;
  const cond = needsCond ? repeatToBatch(options.cond, batchSize, 'cond') : undefined;
  const uncond = needsUncond ? repeatToBatch(options.uncond ?? tf.zerosLike(options.cond), batchSize, 'uncond', !options.uncond) : undefined;
  const stacked = cond && uncond && cfgMode === 'batched' ? tf.concat([uncond, cond], 0) : undefined;
  const owned = [cond, uncond, stacked].filter((t): t is tf.Tensor => t !== undefined && t !== options.cond && t !== options.uncond);

  const call = (x: tf.Tensor, t: number, text: tf.Tensor): tf.Tensor => {
    const v = velocity(x, tf.fill([x.shape[0]], t, 'float32') as tf.Tensor1D, text);
    if (!sameShape(v, x)) throw new Error(`velocity returned [${v.shape.join(', ')}] for x [${x.shape.join(', ')}]; it must return the shape of x`);
    return v;
  };

  const guided: StepVelocity = (x, t) => {
    if (x.shape[0] !== batchSize) throw new Error(`x has batch ${x.shape[0]}, but guidance was set up for batch ${batchSize}`);
    if (!uncond) return call(x, t, cond!);
    if (!cond) return call(x, t, uncond);
    let vUncond: tf.Tensor;
    let vCond: tf.Tensor;
    if (stacked) {
      [vUncond, vCond] = tf.split(call(tf.concat([x, x], 0), t, stacked), 2, 0);
    } else {
      vUncond = call(x, t, uncond);
      vCond = call(x, t, cond);
    }
    return tf.add(vUncond, tf.mul(tf.sub(vCond, vUncond), guidanceScale));
  };
  return { velocity: guided, dispose: () => tf.dispose(owned) };
}

function sameShape(a: tf.Tensor, b: tf.Tensor): boolean {
  return a.rank === b.rank && a.shape.every((size, axis) => size === b.shape[axis]);
}

/** text [B, ...] as is, or [1, ...] tiled to B. Disposes `text` when it was made here (`owned`). */
function repeatToBatch(text: tf.Tensor, batchSize: number, field: string, owned = false): tf.Tensor {
  if (text.shape[0] === batchSize) return text;
  if (text.shape[0] !== 1) throw new Error(`${field} has batch ${text.shape[0]}, but the noise has batch ${batchSize}; pass batch ${batchSize} or 1`);
  const repeated = tf.tile(text, [batchSize, ...new Array<number>(text.rank - 1).fill(1)]);
  if (owned) text.dispose();
  return repeated;
}

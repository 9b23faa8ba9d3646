import type * as tf from '@tensorflow/tfjs-core';

/**
 * The network as the samplers see it: x [B, ...] latents at time t [B] (t = 0 noise,
 * t = 1 data) with text [B, ...] conditioning, returning the velocity [B, ...] like x.
 * It must not dispose its inputs; the sampling loop disposes what it returns.
 */
export type VelocityFn = (x: tf.Tensor, t: tf.Tensor1D, text: tf.Tensor) => tf.Tensor;

/** The guided velocity a sampler step integrates: x [B, ...] at one time t for the whole batch. */
export type StepVelocity = (x: tf.Tensor, t: number) => tf.Tensor;

/** Tensors a multistep sampler keeps from one step to the next; the loop owns and disposes them. */
export interface SamplerMemory {
  get(key: string): tf.Tensor | undefined;
  /** Keeps `tensor` past the step (replacing and later disposing any earlier value under `key`). */
  set(key: string, tensor: tf.Tensor): void;
}

/** What one step of a sampler is given. */
export interface SamplerStepContext {
  /** State at time `t`, [B, ...]. Owned by the loop: do not dispose it. */
  x: tf.Tensor;
  t: number;
  tNext: number;
  /** Step size tNext - t. */
  h: number;
  /** 0-based index of this step in `timesteps`. */
  stepIndex: number;
  /** The whole grid, t_0 .. t_N. */
  timesteps: readonly number[];
  /** Guided velocity at (x, t); every call is one (or, with separate CFG, two) network evaluations. */
  velocity: StepVelocity;
  memory: SamplerMemory;
}

/**
 * An ODE integrator for dx/dt = v(x, t) from t to tNext. `step` runs inside `tf.tidy`, so
 * intermediates need no disposing; it returns x at tNext.
 */
export interface Sampler {
  readonly name: string;
  /** Order of accuracy: global error shrinks like steps^-order. */
  readonly order: number;
  step(context: SamplerStepContext): tf.Tensor;
}

import * as tf from '@tensorflow/tfjs-core';
import { guidedVelocity, GUIDANCE_DEFAULTS, type CfgMode } from './cfg.js';
import { timestepGrid, TIMESTEP_GRID_DEFAULTS } from './grid.js';
import { StepMemory } from './internals/step-memory.js';
import { resolveSampler } from './registry.js';
import type { Sampler, VelocityFn } from './types.js';

export interface SampleStepInfo {
  /** Steps done so far, 1..steps. */
  step: number;
  steps: number;
  /** Time reached by this step. */
  t: number;
  /** State at `t`, [B, ...]. Valid during the callback only: clone it to keep it. */
  x: tf.Tensor;
}

export interface SampleOptions {
  /** The network: (x [B, ...], t [B], text [B, ...]) -> velocity like x. */
  velocity: VelocityFn;
  /** Starting noise x0 at t_0, [B, ...] (see `createNoise`). Not disposed. */
  noise: tf.Tensor;
  /** Text conditioning [B, ...] or [1, ...]. */
  cond: tf.Tensor;
  /** Unconditional text like `cond`; default all zeros. */
  uncond?: tf.Tensor;
  steps?: number;
  /** A sampler object or a registered name: 'euler', 'midpoint', 'heun', 'rk4', 'dpm-solver++2m'. */
  sampler?: Sampler | string;
  /** CFG weight w; 1 skips the unconditional pass. */
  guidanceScale?: number;
  cfgMode?: CfgMode;
  /** Shift of the uniform grid (1 = uniform; > 1 spends more steps near noise). */
  shift?: number;
  /** A custom grid instead of steps/shift: strictly increasing times in [0, 1]. */
  timesteps?: readonly number[];
  /** Called after every step; awaited when it returns a promise. */
  onStep?: (info: SampleStepInfo) => void | Promise<void>;
  /** Stops sampling between steps; `sample` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The original's inference defaults (SPEC section 3): RK4, 50 steps, CFG 1.5. */
export const SAMPLE_DEFAULTS = {
  steps: TIMESTEP_GRID_DEFAULTS.steps,
  sampler: 'rk4',
  guidanceScale: GUIDANCE_DEFAULTS.guidanceScale,
  cfgMode: GUIDANCE_DEFAULTS.cfgMode,
  shift: TIMESTEP_GRID_DEFAULTS.shift,
} as const;

/**
 * Integrates dx/dt = v(x, t) from the noise at t_0 to t_N with classifier-free guidance and
 * returns x at t_N (the clean latent when the grid ends at 1). Every tensor made on the way is
 * disposed; the caller owns the result.
 */
export async function sample(options: SampleOptions): Promise<tf.Tensor> {
  const { noise, onStep, signal } = options;
  const sampler = resolveSampler(options.sampler ?? SAMPLE_DEFAULTS.sampler);
  const timesteps = timestepGrid({
    steps: options.steps ?? SAMPLE_DEFAULTS.steps,
    shift: options.shift ?? SAMPLE_DEFAULTS.shift,
    timesteps: options.timesteps,
  });
  if (noise.rank < 1) throw new Error(`noise must have a batch axis, got shape [${noise.shape.join(', ')}]`);
  signal?.throwIfAborted();
  const guidance = guidedVelocity({
    velocity: options.velocity,
    cond: options.cond,
    uncond: options.uncond,
    guidanceScale: options.guidanceScale,
    cfgMode: options.cfgMode,
    batchSize: noise.shape[0],
  });
  const memory = new StepMemory({ neverDispose: [noise] });
  const steps = timesteps.length - 1;
  let x = noise;
  try {
    for (let stepIndex = 0; stepIndex < steps; stepIndex++) {
      const [t, tNext] = [timesteps[stepIndex], timesteps[stepIndex + 1]];
      const next = tf.tidy(() =>
        sampler.step({ x, t, tNext, h: tNext - t, stepIndex, timesteps, velocity: guidance.velocity, memory }),
      );
      memory.endStep();
      if (!(next instanceof tf.Tensor) || next.rank !== x.rank || next.shape.some((size, axis) => size !== x.shape[axis])) {
        if (next instanceof tf.Tensor && next !== x && !memory.holds(next)) next.dispose();
        const got = next instanceof tf.Tensor ? `[${next.shape.join(', ')}]` : typeof next;
        throw new Error(`sampler '${sampler.name}': step ${stepIndex} returned ${got} for x [${x.shape.join(', ')}]; it must return the next state like x`);
      }
      // The previous state is freed unless the sampler keeps it in memory (which then owns it).
      if (x !== noise && x !== next && !memory.holds(x)) x.dispose();
      // A state the sampler also keeps in memory would be disposed with it: keep a copy instead.
      x = memory.holds(next) ? tf.clone(next) : next;
      await onStep?.({ step: stepIndex + 1, steps, t: tNext, x });
      if (signal) {
        // Let timers and events (an abort among them) run between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
        signal.throwIfAborted();
      }
    }
    // The caller owns the result, so it must not be their noise (zero-length or identity steps).
    if (x === noise) x = tf.clone(noise);
  } catch (error) {
    if (x !== noise && !memory.holds(x)) x.dispose();
    throw error;
  } finally {
    memory.dispose();
    guidance.dispose();
  }
  return x;
}

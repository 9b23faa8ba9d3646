import * as tf from '@tensorflow/tfjs-core';
import { tensorFromData, withDefaults, type TensorData, type TensorToWrite } from '@dit/core';
import type { NamedTensors, NamedVariables } from '../types.js';
import { checkLearningRate, type Optimizer, type OptimizerMeta, type OptimizerSnapshot } from './optimizer.js';

export interface AdamWOptions {
  /** Decay rates of the first and second moments. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the bias-corrected root of the second moment. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay: each step multiplies weights by (1 - lr * weightDecay). Default 0.01. */
  weightDecay?: number;
}

/** PyTorch's `torch.optim.AdamW` defaults (and bitsandbytes' `AdamW8bit`'s). */
export const ADAMW_DEFAULTS: Required<AdamWOptions> = { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01 };

export function resolveAdamWOptions(options: AdamWOptions): Required<AdamWOptions> {
  const resolved = withDefaults(ADAMW_DEFAULTS, options);
  const [beta1, beta2] = resolved.betas;
  for (const [field, value] of [['betas[0]', beta1], ['betas[1]', beta2]] as const) {
    if (!(value >= 0 && value < 1)) throw new Error(`${field} must be in [0, 1), got ${value}`);
  }
  if (!(resolved.eps > 0)) throw new Error(`eps must be > 0, got ${resolved.eps}`);
  if (!(resolved.weightDecay >= 0)) throw new Error(`weightDecay must be >= 0, got ${resolved.weightDecay}`);
  return resolved;
}

interface Moments {
  step: number;
  expAvg: tf.Tensor;
  expAvgSq: tf.Tensor;
}

/**
 * AdamW as `torch.optim.AdamW` (amsgrad false, maximize false): decoupled weight decay applied
 * before the moment update, bias correction 1 - beta^step, eps added after the root
 * (Loshchilov & Hutter 2019; PyTorch's `_single_tensor_adamw`). Moments are float32 tensors on
 * the backend.
 */
export class AdamW implements Optimizer {
  readonly kind = 'adamw' as const;
  readonly options: Required<AdamWOptions>;
  private readonly moments = new Map<string, Moments>();

  constructor(
    private readonly params: NamedVariables,
    options: AdamWOptions = {},
  ) {
    this.options = resolveAdamWOptions(options);
  }

  apply(grads: NamedTensors, lr: number): void {
    checkLearningRate(lr);
    const [beta1, beta2] = this.options.betas;
    const { eps, weightDecay } = this.options;
    for (const [name, param] of this.params) {
      const grad = grads.get(name);
      if (!grad) continue;
      if (!tf.util.arraysEqual(grad.shape, param.shape)) {
        throw new Error(`gradient for ${name} has shape [${grad.shape}], the weight has [${param.shape}]`);
      }
      const state = this.moments.get(name) ?? this.initial(param);
      this.moments.set(name, state);
      state.step += 1;
      const biasCorrection1 = 1 - beta1 ** state.step;
      const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
      const [expAvg, expAvgSq, updated] = tf.tidy(() => {
        const m = tf.add(tf.mul(state.expAvg, beta1), tf.mul(grad, 1 - beta1));
        const v = tf.add(tf.mul(state.expAvgSq, beta2), tf.mul(tf.square(grad), 1 - beta2));
        const decayed = weightDecay !== 0 ? tf.mul(param, 1 - lr * weightDecay) : param;
        const denom = tf.add(tf.div(tf.sqrt(v), biasCorrection2Sqrt), eps);
        return [m, v, tf.sub(decayed, tf.mul(tf.div(m, denom), lr / biasCorrection1))];
      });
      param.assign(updated);
      updated.dispose();
      state.expAvg.dispose();
      state.expAvgSq.dispose();
      state.expAvg = expAvg;
      state.expAvgSq = expAvgSq;
    }
  }

  async snapshot(): Promise<OptimizerSnapshot> {
    const tensors: Record<string, TensorToWrite> = {};
    const steps: Record<string, number> = {};
    for (const [name, state] of this.moments) {
      tensors[`${name}.exp_avg`] = { shape: state.expAvg.shape, data: (await state.expAvg.data()) as Float32Array };
      tensors[`${name}.exp_avg_sq`] = { shape: state.expAvgSq.shape, data: (await state.expAvgSq.data()) as Float32Array };
      steps[name] = state.step;
    }
    return { tensors, meta: { kind: this.kind, options: { ...this.options }, steps } };
  }

  restore(tensors: ReadonlyMap<string, TensorData>, meta: OptimizerMeta): void {
    if (meta.kind !== this.kind) throw new Error(`optimizer state is for '${meta.kind}', this optimizer is '${this.kind}'`);
    const loaded = new Map<string, Moments>();
    try {
      for (const [name, step] of Object.entries(meta.steps)) {
        const param = this.params.get(name);
        if (!param) throw new Error(`optimizer state has moments for '${name}', which the model does not have`);
        const read = (suffix: string) => {
          const data = tensors.get(`${name}.${suffix}`);
          if (!data) throw new Error(`optimizer state lacks '${name}.${suffix}'`);
          if (!tf.util.arraysEqual(data.shape, param.shape)) {
            throw new Error(`optimizer state '${name}.${suffix}' has shape [${data.shape}], the weight has [${param.shape}]`);
          }
          return tensorFromData(data);
        };
        const expAvg = read('exp_avg');
        let expAvgSq: tf.Tensor;
        try {
          expAvgSq = read('exp_avg_sq');
        } catch (error) {
          expAvg.dispose();
          throw error;
        }
        loaded.set(name, { step, expAvg, expAvgSq });
      }
    } catch (error) {
      for (const state of loaded.values()) tf.dispose([state.expAvg, state.expAvgSq]);
      throw error;
    }
    this.reset();
    for (const [name, state] of loaded) this.moments.set(name, state);
  }

  reset(): void {
    for (const state of this.moments.values()) tf.dispose([state.expAvg, state.expAvgSq]);
    this.moments.clear();
  }

  stateBytes(): number {
    let bytes = 0;
    for (const state of this.moments.values()) bytes += 4 * (state.expAvg.size + state.expAvgSq.size);
    return bytes;
  }

  dispose(): void {
    this.reset();
  }

  private initial(param: tf.Variable): Moments {
    return { step: 0, expAvg: tf.zerosLike(param), expAvgSq: tf.zerosLike(param) };
  }
}

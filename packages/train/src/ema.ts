import * as tf from '@tensorflow/tfjs-core';
import { tensorFromData, withDefaults, type TensorData, type TensorToWrite } from '@dit/core';
import type { NamedTensors, NamedVariables } from './types.js';

export interface EmaOptions {
  /** Weight kept from the average at each update. Default 0.999 (the original's phase 3). */
  decay?: number;
}

export const EMA_DEFAULTS: Required<EmaOptions> = { decay: 0.999 };

/** What `state.json` records of an EMA beside its tensors in `ema.safetensors`. */
export interface EmaMeta {
  decay: number;
  /** Updates so far; 0 means the next update copies the weights. */
  nAveraged: number;
}

/**
 * Exponential moving average of the weights, as PyTorch's `AveragedModel` with
 * `get_ema_multi_avg_fn(decay)`: the average starts as a copy of the weights when it is made,
 * the first `update()` copies the weights again, and later updates do
 * ema <- ema + (1 - decay) (w - ema). The averaged tensors live apart from the trained
 * variables, so training never reads them; validation and the final result do.
 */
export class Ema {
  readonly decay: number;
  private averaged = new Map<string, tf.Tensor>();
  private updates = 0;

  constructor(
    private readonly params: NamedVariables,
    options: EmaOptions = {},
  ) {
    const { decay } = withDefaults(EMA_DEFAULTS, options);
    if (!(decay >= 0 && decay <= 1)) throw new Error(`decay must be in [0, 1], got ${decay}`);
    this.decay = decay;
    for (const [name, param] of params) this.averaged.set(name, tf.clone(param));
  }

  get nAveraged(): number {
    return this.updates;
  }

  /** The averaged weights, by parameter name. Owned by the EMA: do not dispose. */
  get weights(): NamedTensors {
    return this.averaged;
  }

  update(): void {
    const weight = 1 - this.decay;
    for (const [name, param] of this.params) {
      const old = this.averaged.get(name)!;
      const next = this.updates === 0 ? tf.clone(param) : tf.tidy(() => tf.add(old, tf.mul(tf.sub(param, old), weight)));
      this.averaged.set(name, next);
      old.dispose();
    }
    this.updates += 1;
  }

  async snapshot(): Promise<{ tensors: Record<string, TensorToWrite>; meta: EmaMeta }> {
    const tensors: Record<string, TensorToWrite> = {};
    for (const [name, tensor] of this.averaged) tensors[name] = { shape: tensor.shape, data: (await tensor.data()) as Float32Array };
    return { tensors, meta: { decay: this.decay, nAveraged: this.updates } };
  }

  restore(tensors: ReadonlyMap<string, TensorData>, meta: EmaMeta): void {
    for (const [name, param] of this.params) {
      const data = tensors.get(name);
      if (!data) throw new Error(`EMA state lacks '${name}'`);
      if (!tf.util.arraysEqual(data.shape, param.shape)) {
        throw new Error(`EMA state '${name}' has shape [${data.shape}], the weight has [${param.shape}]`);
      }
    }
    for (const [name] of this.params) {
      this.averaged.get(name)!.dispose();
      this.averaged.set(name, tensorFromData(tensors.get(name)!));
    }
    this.updates = meta.nAveraged;
  }

  dispose(): void {
    tf.dispose([...this.averaged.values()]);
    this.averaged.clear();
  }
}

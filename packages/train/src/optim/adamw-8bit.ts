import * as tf from '@tensorflow/tfjs-core';
import type { TensorData, TensorToWrite } from '@dit/core';
import type { NamedTensors, NamedVariables } from '../types.js';
import { resolveAdamWOptions, type AdamWOptions } from './adamw.js';
import { checkLearningRate, type Optimizer, type OptimizerMeta, type OptimizerSnapshot } from './optimizer.js';
import { CodeBook, dynamicQuantileMap } from './quantile-map.js';

export interface AdamW8bitOptions extends AdamWOptions {
  /** Elements sharing one absmax scale. bitsandbytes uses 256 (2048 in older releases). Default 256. */
  blockSize?: number;
  /** Weights with fewer elements keep float32 moments, as bitsandbytes' `min_8bit_size`. Default 4096. */
  min8bitSize?: number;
}

export const ADAMW_8BIT_DEFAULTS = { blockSize: 256, min8bitSize: 4096 } as const;

/** Moments of one weight: 8-bit codes with one absmax per block, or float32 for small weights. */
interface Moments8 {
  step: number;
  first: QuantisedOrFloat;
  second: QuantisedOrFloat;
}

type QuantisedOrFloat = { codes: Uint8Array; absmax: Float32Array } | { values: Float32Array };

let codeBooks: { signed: CodeBook; unsigned: CodeBook } | undefined;

/** Built on first use: the tables take a few milliseconds. */
function books(): { signed: CodeBook; unsigned: CodeBook } {
  codeBooks ??= { signed: new CodeBook(dynamicQuantileMap({ signed: true })), unsigned: new CodeBook(dynamicQuantileMap({ signed: false })) };
  return codeBooks;
}

/**
 * AdamW with 8-bit moments, as bitsandbytes' `AdamW8bit` (blockwise): each block of
 * `blockSize` elements stores its first moment in the signed dynamic map and its second in the
 * unsigned one, scaled by the block's largest magnitude. A step dequantises, updates the moments
 * in float32, moves the weights with the float32 values (update, then decoupled decay, in
 * bitsandbytes' order) and requantises to the nearest code. State is about 2 bytes a weight
 * instead of 8. The arithmetic runs in JavaScript on downloaded gradients, so a step costs more
 * time than {@link AdamW}'s; use it when memory, not time, is short.
 */
export class AdamW8bit implements Optimizer {
  readonly kind = 'adamw-8bit' as const;
  readonly options: Required<AdamW8bitOptions>;
  private readonly moments = new Map<string, Moments8>();

  constructor(
    private readonly params: NamedVariables,
    options: AdamW8bitOptions = {},
  ) {
    const { blockSize = ADAMW_8BIT_DEFAULTS.blockSize, min8bitSize = ADAMW_8BIT_DEFAULTS.min8bitSize, ...adam } = options;
    if (!Number.isInteger(blockSize) || blockSize < 1) throw new Error(`blockSize must be a positive integer, got ${blockSize}`);
    if (!Number.isInteger(min8bitSize) || min8bitSize < 0) throw new Error(`min8bitSize must be an integer >= 0, got ${min8bitSize}`);
    this.options = { ...resolveAdamWOptions(adam), blockSize, min8bitSize };
  }

  async apply(grads: NamedTensors, lr: number): Promise<void> {
    checkLearningRate(lr);
    for (const [name, param] of this.params) {
      const grad = grads.get(name);
      if (!grad) continue;
      if (!tf.util.arraysEqual(grad.shape, param.shape)) {
        throw new Error(`gradient for ${name} has shape [${grad.shape}], the weight has [${param.shape}]`);
      }
      const state = this.moments.get(name) ?? this.initial(param.size);
      this.moments.set(name, state);
      state.step += 1;
      const direction = this.updateMoments(state, (await grad.data()) as Float32Array);
      const decay = 1 - lr * this.options.weightDecay;
      const updated = tf.tidy(() => tf.mul(tf.sub(param, tf.mul(tf.tensor(direction, param.shape), lr)), decay));
      param.assign(updated);
      updated.dispose();
    }
  }

  /** Updates the moments in place and returns (m / c1) / (sqrt(v) / sqrt(c2) + eps) per element. */
  private updateMoments(state: Moments8, grad: Float32Array): Float32Array {
    const [beta1, beta2] = this.options.betas;
    const correction1 = 1 - beta1 ** state.step;
    const correction2Sqrt = Math.sqrt(1 - beta2 ** state.step);
    const { eps } = this.options;
    const n = grad.length;
    const direction = new Float32Array(n);
    const { first, second } = state;
    if ('values' in first && 'values' in second) {
      const m = first.values;
      const v = second.values;
      for (let i = 0; i < n; i++) {
        const g = grad[i];
        m[i] = beta1 * m[i] + (1 - beta1) * g;
        v[i] = beta2 * v[i] + (1 - beta2) * g * g;
        direction[i] = m[i] / correction1 / (Math.sqrt(v[i]) / correction2Sqrt + eps);
      }
      return direction;
    }
    if ('values' in first || 'values' in second) throw new Error('internal: mixed moment storage');
    const { signed, unsigned } = books();
    const mapM = signed.codes;
    const mapV = unsigned.codes;
    const { blockSize } = this.options;
    const m = new Float32Array(Math.min(n, blockSize));
    const v = new Float32Array(Math.min(n, blockSize));
    for (let start = 0, block = 0; start < n; start += blockSize, block++) {
      const end = Math.min(n, start + blockSize);
      const scaleM = first.absmax[block];
      const scaleV = second.absmax[block];
      let maxM = 0;
      let maxV = 0;
      for (let i = start; i < end; i++) {
        const g = grad[i];
        const mi = beta1 * mapM[first.codes[i]] * scaleM + (1 - beta1) * g;
        const vi = beta2 * mapV[second.codes[i]] * scaleV + (1 - beta2) * g * g;
        m[i - start] = mi;
        v[i - start] = vi;
        const absM = mi < 0 ? -mi : mi;
        if (absM > maxM) maxM = absM;
        if (vi > maxV) maxV = vi;
        direction[i] = mi / correction1 / (Math.sqrt(vi) / correction2Sqrt + eps);
      }
      first.absmax[block] = maxM;
      second.absmax[block] = maxV;
      for (let i = start; i < end; i++) {
        first.codes[i] = maxM > 0 ? signed.encode(m[i - start] / maxM) : signed.zero;
        second.codes[i] = maxV > 0 ? unsigned.encode(v[i - start] / maxV) : unsigned.zero;
      }
    }
    return direction;
  }

  async snapshot(): Promise<OptimizerSnapshot> {
    const tensors: Record<string, TensorToWrite> = {};
    const steps: Record<string, number> = {};
    for (const [name, state] of this.moments) {
      steps[name] = state.step;
      for (const [key, moment] of [['state1', state.first], ['state2', state.second]] as const) {
        if ('values' in moment) {
          tensors[`${name}.${key}`] = { shape: [moment.values.length], data: moment.values };
        } else {
          // The core writer has no U8: the codes travel packed four to an I32, little-endian.
          tensors[`${name}.${key}`] = { shape: [Math.ceil(moment.codes.length / 4)], data: packBytes(moment.codes) };
          tensors[`${name}.${key}.absmax`] = { shape: [moment.absmax.length], data: moment.absmax };
        }
      }
    }
    return { tensors, meta: { kind: this.kind, options: { ...this.options }, steps } };
  }

  restore(tensors: ReadonlyMap<string, TensorData>, meta: OptimizerMeta): void {
    if (meta.kind !== this.kind) throw new Error(`optimizer state is for '${meta.kind}', this optimizer is '${this.kind}'`);
    for (const field of ['blockSize', 'min8bitSize'] as const) {
      if (meta.options[field] !== this.options[field]) {
        throw new Error(`optimizer state was saved with ${field} ${meta.options[field]}, this optimizer uses ${this.options[field]}`);
      }
    }
    const loaded = new Map<string, Moments8>();
    for (const [name, step] of Object.entries(meta.steps)) {
      const param = this.params.get(name);
      if (!param) throw new Error(`optimizer state has moments for '${name}', which the model does not have`);
      const fresh = this.initial(param.size);
      const read = (key: string, moment: QuantisedOrFloat): QuantisedOrFloat => {
        const data = tensors.get(`${name}.${key}`);
        if (!data) throw new Error(`optimizer state lacks '${name}.${key}'`);
        if ('values' in moment) {
          if (data.data.length !== param.size) throw new Error(`optimizer state '${name}.${key}' has ${data.data.length} values, the weight has ${param.size}`);
          return { values: Float32Array.from(data.data) };
        }
        const absmax = tensors.get(`${name}.${key}.absmax`);
        if (!absmax || absmax.data.length !== moment.absmax.length) throw new Error(`optimizer state '${name}.${key}.absmax' is missing or has the wrong length`);
        return { codes: unpackBytes(data.data as Int32Array, param.size), absmax: Float32Array.from(absmax.data) };
      };
      loaded.set(name, { step, first: read('state1', fresh.first), second: read('state2', fresh.second) });
    }
    this.moments.clear();
    for (const [name, state] of loaded) this.moments.set(name, state);
  }

  reset(): void {
    this.moments.clear();
  }

  stateBytes(): number {
    let bytes = 0;
    for (const state of this.moments.values()) {
      for (const moment of [state.first, state.second]) {
        bytes += 'values' in moment ? 4 * moment.values.length : moment.codes.length + 4 * moment.absmax.length;
      }
    }
    return bytes;
  }

  dispose(): void {
    this.reset();
  }

  private initial(size: number): Moments8 {
    const moment = (): QuantisedOrFloat =>
      size >= this.options.min8bitSize
        ? { codes: new Uint8Array(size), absmax: new Float32Array(Math.ceil(size / this.options.blockSize)) }
        : { values: new Float32Array(size) };
    return { step: 0, first: moment(), second: moment() };
  }
}

function packBytes(bytes: Uint8Array): Int32Array {
  const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
  padded.set(bytes);
  return new Int32Array(padded.buffer);
}

function unpackBytes(words: Int32Array, length: number): Uint8Array {
  return new Uint8Array(words.buffer, words.byteOffset, words.length * 4).slice(0, length);
}

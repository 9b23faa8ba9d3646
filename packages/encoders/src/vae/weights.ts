import * as tf from '@tensorflow/tfjs-core';
import type { TensorSource } from '@dit/core';
import type { AutoencoderKLConfig } from './config.js';

/** One parameter as diffusers stores it (PyTorch layout: conv [out, in, kh, kw], linear [out, in]). */
export interface TensorSpec {
  name: string;
  shape: number[];
}

/**
 * Every tensor a diffusers AutoencoderKL with this config holds, in its state_dict order.
 * fixtures/vae/sdxl-layout.json checks this against diffusers itself.
 */
export function autoencoderKLTensorLayout(config: AutoencoderKLConfig): TensorSpec[] {
  const specs: TensorSpec[] = [];
  const add = (name: string, shape: number[]) => specs.push({ name, shape });
  const conv = (prefix: string, out: number, inp: number, k: number) => {
    add(`${prefix}.weight`, [out, inp, k, k]);
    add(`${prefix}.bias`, [out]);
  };
  const norm = (prefix: string, channels: number) => {
    add(`${prefix}.weight`, [channels]);
    add(`${prefix}.bias`, [channels]);
  };
  const linear = (prefix: string, channels: number) => {
    add(`${prefix}.weight`, [channels, channels]);
    add(`${prefix}.bias`, [channels]);
  };
  const resnet = (prefix: string, inp: number, out: number) => {
    norm(`${prefix}.norm1`, inp);
    conv(`${prefix}.conv1`, out, inp, 3);
    norm(`${prefix}.norm2`, out);
    conv(`${prefix}.conv2`, out, out, 3);
    if (inp !== out) conv(`${prefix}.conv_shortcut`, out, inp, 1);
  };
  const mid = (prefix: string, channels: number) => {
    if (config.midBlockAddAttention) {
      const attn = `${prefix}.attentions.0`;
      norm(`${attn}.group_norm`, channels);
      for (const proj of ['to_q', 'to_k', 'to_v', 'to_out.0']) linear(`${attn}.${proj}`, channels);
    }
    resnet(`${prefix}.resnets.0`, channels, channels);
    resnet(`${prefix}.resnets.1`, channels, channels);
  };
  const blocks = config.blockOutChannels;
  const last = blocks[blocks.length - 1];

  conv('encoder.conv_in', blocks[0], config.inChannels, 3);
  let channels = blocks[0];
  blocks.forEach((out, i) => {
    for (let j = 0; j < config.layersPerBlock; j++) resnet(`encoder.down_blocks.${i}.resnets.${j}`, j === 0 ? channels : out, out);
    if (i < blocks.length - 1) conv(`encoder.down_blocks.${i}.downsamplers.0.conv`, out, out, 3);
    channels = out;
  });
  mid('encoder.mid_block', last);
  norm('encoder.conv_norm_out', last);
  conv('encoder.conv_out', 2 * config.latentChannels, last, 3);

  conv('decoder.conv_in', last, config.latentChannels, 3);
  const reversed = [...blocks].reverse();
  channels = reversed[0];
  reversed.forEach((out, i) => {
    for (let j = 0; j < config.layersPerBlock + 1; j++) resnet(`decoder.up_blocks.${i}.resnets.${j}`, j === 0 ? channels : out, out);
    if (i < reversed.length - 1) conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, out, out, 3);
    channels = out;
  });
  mid('decoder.mid_block', last); // registered after up_blocks in diffusers' Decoder, though it runs first
  norm('decoder.conv_norm_out', blocks[0]);
  conv('decoder.conv_out', config.outChannels, blocks[0], 3);

  if (config.useQuantConv) conv('quant_conv', 2 * config.latentChannels, 2 * config.latentChannels, 1);
  if (config.usePostQuantConv) conv('post_quant_conv', config.latentChannels, config.latentChannels, 1);
  return specs;
}

const LEGACY_ATTENTION = /\.attentions\.(\d+)\.(query|key|value|proj_attn)\.(weight|bias)$/;
const LEGACY_TO_CURRENT: Record<string, string> = { query: 'to_q', key: 'to_k', value: 'to_v', proj_attn: 'to_out.0' };

/** Maps the pre-0.14 diffusers attention names (query/key/value/proj_attn) to the current ones. */
export function canonicalTensorName(name: string): string {
  return name.replace(LEGACY_ATTENTION, (_m, index: string, old: string, kind: string) => `.attentions.${index}.${LEGACY_TO_CURRENT[old]}.${kind}`);
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A linear may be stored as a 1x1 conv [out, in, 1, 1] (old checkpoints). */
function shapeFits(stored: readonly number[], expected: readonly number[]): boolean {
  return sameShape(stored, expected) || (expected.length === 2 && sameShape(stored, [...expected, 1, 1]));
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function listSome(items: string[], limit = 12): string {
  return items.length <= limit ? items.join(', ') : `${items.slice(0, limit).join(', ')}, ... (${items.length - limit} more)`;
}

/** Which stored tensor provides each expected tensor; throws naming everything missing, unexpected or mis-shaped. */
export function matchTensors(source: Pick<TensorSource, 'path' | 'keys' | 'info'>, layout: TensorSpec[]): Map<string, string> {
  const stored = new Map<string, string>();
  const duplicated: string[] = [];
  for (const key of source.keys()) {
    const canonical = canonicalTensorName(key);
    if (stored.has(canonical)) duplicated.push(`${stored.get(canonical)} and ${key}`);
    stored.set(canonical, key);
  }
  const expected = new Map(layout.map((spec) => [spec.name, spec.shape]));
  const missing = layout.filter((spec) => !stored.has(spec.name)).map((spec) => spec.name);
  const unexpected = [...stored.entries()].filter(([name]) => !expected.has(name)).map(([, key]) => key);
  const misshaped = layout
    .filter((spec) => stored.has(spec.name) && !shapeFits(source.info(stored.get(spec.name)!).shape, spec.shape))
    .map((spec) => `${stored.get(spec.name)} is ${shapeText(source.info(stored.get(spec.name)!).shape)}, expected ${shapeText(spec.shape)}`);
  const problems: string[] = [];
  if (missing.length) problems.push(`missing ${missing.length}: ${listSome(missing)}`);
  if (unexpected.length) problems.push(`unexpected ${unexpected.length}: ${listSome(unexpected)}`);
  if (misshaped.length) problems.push(`wrong shape ${misshaped.length}: ${listSome(misshaped, 6)}`);
  if (duplicated.length) problems.push(`stored twice (old and new names): ${listSome(duplicated, 6)}`);
  if (problems.length) {
    const hint = [...stored.keys()].some((k) => /^(encoder|decoder)\.(down|up|mid)\./.test(k))
      ? ' (this looks like an original Stable Diffusion checkpoint, not the diffusers layout: convert it with diffusers first)'
      : '';
    throw new Error(`${source.path}: the weights do not match the AutoencoderKL config${hint}: ${problems.join('; ')}`);
  }
  return new Map(layout.map((spec) => [spec.name, stored.get(spec.name)!]));
}

/**
 * The VAE's parameters as tfjs tensors, keyed by the current diffusers names, in tfjs layouts:
 * conv kernels [kh, kw, in, out] (NHWC conv2d), linear weights [in, out] (so x @ W needs no transpose).
 */
export class VaeWeights {
  private constructor(private readonly tensors: Map<string, tf.Tensor>) {}

  /** Reads every tensor the config needs from `source` (strict: see matchTensors). */
  static async load(source: TensorSource, config: AutoencoderKLConfig): Promise<VaeWeights> {
    const layout = autoencoderKLTensorLayout(config);
    const keys = matchTensors(source, layout);
    const tensors = new Map<string, tf.Tensor>();
    try {
      for (const spec of layout) {
        const data = await source.read(keys.get(spec.name)!);
        if (!(data.data instanceof Float32Array)) throw new Error(`${source.path}: ${data.name} has integer dtype ${data.dtype}; expected floats`);
        tensors.set(spec.name, toTfLayout(data.data, spec.shape));
      }
    } catch (error) {
      tf.dispose([...tensors.values()]);
      throw error;
    }
    return new VaeWeights(tensors);
  }

  /** Weights already in memory, in PyTorch layout and current names (tests, conversions). */
  static fromPyTorchLayout(arrays: Map<string, Float32Array>, config: AutoencoderKLConfig): VaeWeights {
    const tensors = new Map<string, tf.Tensor>();
    for (const spec of autoencoderKLTensorLayout(config)) {
      const data = arrays.get(spec.name);
      if (!data) {
        tf.dispose([...tensors.values()]);
        throw new Error(`VaeWeights: missing ${spec.name}`);
      }
      tensors.set(spec.name, toTfLayout(data, spec.shape));
    }
    return new VaeWeights(tensors);
  }

  get(name: string): tf.Tensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new Error(`VaeWeights: no tensor ${name}`);
    return tensor;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  get size(): number {
    return this.tensors.size;
  }

  dispose(): void {
    tf.dispose([...this.tensors.values()]);
    this.tensors.clear();
  }
}

function toTfLayout(data: Float32Array, shape: number[]): tf.Tensor {
  return tf.tidy(() => {
    if (shape.length === 4) return tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [2, 3, 1, 0]);
    if (shape.length === 2) return tf.transpose(tf.tensor2d(data, shape as [number, number]), [1, 0]);
    return tf.tensor(data, shape);
  });
}

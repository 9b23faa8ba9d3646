import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TensorInfo } from '@dit/core';
import { parseAutoencoderKLConfig } from './config.js';
import { vaeFixture } from './test-helpers.js';
import { autoencoderKLTensorLayout, canonicalTensorName, matchTensors, type TensorSpec } from './weights.js';

/** A tensor listing that answers like a safetensors file, without the bytes. */
function listing(specs: TensorSpec[], path = 'vae.safetensors') {
  const byName = new Map(specs.map((s) => [s.name, s]));
  return {
    path,
    keys: () => specs.map((s) => s.name),
    info: (name: string): TensorInfo => ({ name, dtype: 'F32', shape: byName.get(name)!.shape, dataOffsets: [0, 0] }),
  };
}

describe('AutoencoderKL tensor layout', () => {
  it('equals exactly the list diffusers builds for the SDXL / EQ-SDXL-VAE config (names, shapes, order)', () => {
    const fixture = JSON.parse(readFileSync(vaeFixture('sdxl-layout.json'), 'utf8')) as { config: unknown; tensors: [string, number[]][] };
    const ours = autoencoderKLTensorLayout(parseAutoencoderKLConfig(fixture.config, 'sdxl-layout.json'));
    expect(ours.map((s) => [s.name, s.shape])).toEqual(fixture.tensors);
    expect(ours).toHaveLength(248);
  });

  it('maps the old attention names to the current ones', () => {
    expect(canonicalTensorName('decoder.mid_block.attentions.0.query.weight')).toBe('decoder.mid_block.attentions.0.to_q.weight');
    expect(canonicalTensorName('encoder.mid_block.attentions.0.proj_attn.bias')).toBe('encoder.mid_block.attentions.0.to_out.0.bias');
    expect(canonicalTensorName('encoder.mid_block.attentions.0.value.weight')).toBe('encoder.mid_block.attentions.0.to_v.weight');
    expect(canonicalTensorName('encoder.conv_in.weight')).toBe('encoder.conv_in.weight');
  });
});

describe('strict weight matching', () => {
  const config = parseAutoencoderKLConfig({ block_out_channels: [8, 16], norm_num_groups: 4, layers_per_block: 1 });
  const layout = autoencoderKLTensorLayout(config);

  it('accepts legacy names and linears stored as 1x1 convs', () => {
    const legacy = layout.map((s) =>
      s.name.includes('attentions.0.to_q.weight') ? { name: s.name.replace('to_q', 'query'), shape: [...s.shape, 1, 1] } : s,
    );
    const keys = matchTensors(listing(legacy), layout);
    expect(keys.get('encoder.mid_block.attentions.0.to_q.weight')).toBe('encoder.mid_block.attentions.0.query.weight');
  });

  it('names every missing, unexpected and mis-shaped tensor and the file', () => {
    const broken = layout
      .filter((s) => s.name !== 'decoder.conv_out.bias')
      .map((s) => (s.name === 'quant_conv.weight' ? { ...s, shape: [8, 8, 3, 3] } : s))
      .concat([{ name: 'encoder.extra.weight', shape: [1] }]);
    expect(() => matchTensors(listing(broken, '/models/vae.safetensors'), layout)).toThrow(
      /^\/models\/vae.safetensors: the weights do not match the AutoencoderKL config: missing 1: decoder.conv_out.bias; unexpected 1: encoder.extra.weight; wrong shape 1: quant_conv.weight is \[8, 8, 3, 3\], expected \[8, 8, 1, 1\]$/,
    );
  });

  it('refuses a checkpoint that holds both the old and the new name', () => {
    const both = [...layout, { name: 'encoder.mid_block.attentions.0.key.bias', shape: [16] }];
    expect(() => matchTensors(listing(both), layout)).toThrow(/stored twice \(old and new names\): encoder.mid_block.attentions.0.to_k.bias and encoder.mid_block.attentions.0.key.bias/);
  });

  it('recognises an original (non-diffusers) Stable Diffusion checkpoint', () => {
    expect(() => matchTensors(listing([{ name: 'encoder.down.0.block.0.norm1.weight', shape: [8] }]), layout)).toThrow(/original Stable Diffusion checkpoint/);
  });
});

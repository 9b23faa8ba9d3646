import { describe, expect, it } from 'vitest';
import { configFromJson, configToJson, DEFAULT_CONFIG, resolveConfig, tokenLayout } from './config.js';
import { presets } from './presets.js';

describe('config', () => {
  it('defaults every field to the original preset (SPEC section 2)', () => {
    expect(resolveConfig({})).toEqual({ inChannels: 4, patchSize: 2, hiddenSize: 1024, depth: 12, numHeads: 16, textDim: 1152, textLength: 256 });
    expect(presets.original).toEqual(DEFAULT_CONFIG);
    expect(resolveConfig({ depth: 3 }).depth).toBe(3);
  });

  it('rejects a hidden size not divisible by the heads, naming both', () => {
    expect(() => resolveConfig({ hiddenSize: 100, numHeads: 3 })).toThrow(/hiddenSize \(100\) must be divisible by config.numHeads \(3\)/);
  });

  it('rejects a head_dim not divisible by 4 (2D RoPE)', () => {
    expect(() => resolveConfig({ hiddenSize: 36, numHeads: 6 })).toThrow(/head_dim = .* = 6 must be divisible by 4/);
  });

  it('rejects non-positive or fractional fields', () => {
    expect(() => resolveConfig({ depth: 0 })).toThrow(/config.depth must be a positive integer, found 0/);
    expect(() => resolveConfig({ textLength: 2.5 })).toThrow(/config.textLength/);
  });

  it('names the latent shape that is not a multiple of the patch size', () => {
    expect(() => tokenLayout(presets.tiny, 9, 12)).toThrow(/9 x 12 must be positive multiples of patchSize 2/);
    expect(tokenLayout(presets.tiny, 8, 12)).toEqual({ gridHeight: 4, gridWidth: 6, imageTokens: 24, sequenceLength: presets.tiny.textLength + 24 });
  });

  it('round-trips through config.json with snake_case keys and accepts camelCase', () => {
    const json = configToJson(presets.tiny);
    expect(json).toMatchObject({ _class_name: 'SingleStreamDiTV2', hidden_size: 64, num_heads: 4, text_embed_dim: 48, text_length: 16 });
    expect(configFromJson(json)).toEqual(presets.tiny);
    expect(configFromJson({ hiddenSize: 64, numHeads: 4, depth: 1 })).toMatchObject({ hiddenSize: 64, depth: 1, textDim: 1152 });
  });

  it('rejects unknown keys, wrong types and another class, naming the source', () => {
    expect(() => configFromJson({ hidden: 64 }, 'x/config.json')).toThrow(/x\/config.json: unknown key "hidden"/);
    expect(() => configFromJson({ depth: '2' })).toThrow(/depth must be a number/);
    expect(() => configFromJson({ _class_name: 'UNet2DModel' })).toThrow(/_class_name is "UNet2DModel"/);
    expect(() => configFromJson({ hidden_size: 30, num_heads: 4 }, 'c.json')).toThrow(/^c.json: config.hiddenSize \(30\)/);
  });
});

import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseT5Gemma2Config } from './config.js';
import { T5GEMMA2_PRESETS } from './presets.js';
import { LAYOUT_1B, TINY } from './test-fixtures.js';

const full1b = JSON.parse(await readFile(LAYOUT_1B, 'utf8')).config;
const tiny = JSON.parse(await readFile(`${TINY}/config.json`, 'utf8'));

describe('parseT5Gemma2Config', () => {
  it('reads the 1b-1b encoder from the nested encoder.text_config (SPEC section 7 values)', () => {
    const config = parseT5Gemma2Config(full1b);
    expect(config).toMatchObject({
      vocabSize: 262_144,
      hiddenSize: 1152,
      intermediateSize: 6912,
      numLayers: 26,
      numHeads: 4,
      numKeyValueHeads: 1,
      headDim: 256,
      queryPreAttnScalar: 256,
      slidingWindow: 512,
      rmsNormEps: 1e-6,
      hiddenActivation: 'gelu_pytorch_tanh',
      eoiTokenIndex: 256_000,
      rope: { sliding_attention: { theta: 10_000, linearFactor: 1 }, full_attention: { theta: 1_000_000, linearFactor: 1 } },
    });
    const full = config.layerTypes.flatMap((t, i) => (t === 'full_attention' ? [i] : []));
    expect(full).toEqual([5, 11, 17, 23]);
    expect(config).toEqual(T5GEMMA2_PRESETS['t5gemma-2-1b-1b']());
  });

  it('reads the tiny fixture: explicit layer types, per-type RoPE with linear scaling, eoi index', () => {
    const config = parseT5Gemma2Config(tiny);
    expect(config.layerTypes).toEqual(['sliding_attention', 'full_attention', 'sliding_attention']);
    expect(config.rope.full_attention).toEqual({ theta: 1000, linearFactor: 2 });
    expect(config.rope.sliding_attention).toEqual({ theta: 100, linearFactor: 1 });
    expect(config.eoiTokenIndex).toBe(250);
    expect([config.headDim, config.numHeads, config.hiddenSize, config.queryPreAttnScalar]).toEqual([16, 4, 32, 20]);
  });

  it('accepts an encoder config and a bare text config', () => {
    const viaEncoder = parseT5Gemma2Config(tiny.encoder);
    expect(viaEncoder).toEqual(parseT5Gemma2Config(tiny));
    const bare = parseT5Gemma2Config(tiny.encoder.text_config);
    expect(bare.eoiTokenIndex).toBe(256_000);
    expect({ ...bare, eoiTokenIndex: 250 }).toEqual(viaEncoder);
  });

  it('fills what a config leaves out with the transformers defaults: every 6th layer full, default thetas', () => {
    const config = parseT5Gemma2Config({ hidden_size: 64, num_hidden_layers: 12, num_attention_heads: 2, num_key_value_heads: 1, head_dim: 32 });
    expect(config.layerTypes.map((t) => t[0]).join('')).toBe('sssssfsssssf');
    expect(config.rope).toEqual({ sliding_attention: { theta: 10_000, linearFactor: 1 }, full_attention: { theta: 1_000_000, linearFactor: 1 } });
    expect([config.vocabSize, config.slidingWindow, config.queryPreAttnScalar, config.intermediateSize]).toEqual([262_208, 4096, 256, 9216]);
    const pattern = parseT5Gemma2Config({ hidden_size: 64, num_hidden_layers: 4, num_attention_heads: 2, num_key_value_heads: 1, sliding_window_pattern: 2 });
    expect(pattern.layerTypes.map((t) => t[0]).join('')).toBe('sfsf');
    expect(pattern.headDim).toBe(32);
  });

  it('reads the older RoPE fields: rope_theta, rope_local_base_freq, rope_scaling (full layers)', () => {
    const config = parseT5Gemma2Config({
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      rope_theta: 500_000,
      rope_local_base_freq: 5000,
      rope_scaling: { rope_type: 'linear', factor: 8 },
    });
    expect(config.rope).toEqual({ sliding_attention: { theta: 5000, linearFactor: 1 }, full_attention: { theta: 500_000, linearFactor: 8 } });
  });

  it('names the file and field of what it cannot use', () => {
    const text = tiny.encoder.text_config;
    const withText = (patch: object) => ({ ...tiny, encoder: { ...tiny.encoder, text_config: { ...text, ...patch } } });
    expect(() => parseT5Gemma2Config(withText({ layer_types: ['full_attention'] }), 'x/config.json')).toThrow(
      /x\/config\.json: encoder\.text_config\.layer_types: expected 3 entries/,
    );
    expect(() => parseT5Gemma2Config(withText({ rope_parameters: { full_attention: { rope_type: 'yarn', factor: 2 } } }))).toThrow(
      /encoder\.text_config\.rope_parameters\.full_attention\.rope_type: unsupported RoPE type "yarn"/,
    );
    expect(() => parseT5Gemma2Config(withText({ num_key_value_heads: 3 }))).toThrow(/num_key_value_heads: 3 does not divide num_attention_heads 4/);
    expect(() => parseT5Gemma2Config(withText({ hidden_activation: 'silu' }))).toThrow(/hidden_activation: unsupported activation "silu"/);
    expect(() => parseT5Gemma2Config({ encoder: {} })).toThrow(/encoder\.text_config: missing/);
    expect(() => parseT5Gemma2Config({ model_type: 'llama' })).toThrow(/not a T5Gemma 2 config/);
  });
});

import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DiTBlock } from './block.js';
import { initRule } from './init.js';
import { SingleStreamDiTV2 } from './model.js';
import { presets } from './presets.js';
import { ropeTables } from './rope.js';
import { randomInputs } from './internals/test-helpers.js';

function stats(values: Float32Array) {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}

describe('initialisation (SPEC section 2)', () => {
  it('makes a fresh model output exactly zero (zero final layer)', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 3 });
    const { x, t, text } = randomInputs(presets.tiny, 2, 8, 12);
    const v = model.forward(x, t, text);
    expect(v.shape).toEqual([2, 4, 8, 12]);
    expect(Array.from(await v.data()).every((value) => value === 0)).toBe(true);
    tf.dispose([x, t, text, v]);
    model.dispose();
  });

  it('makes every block the identity (zero adaLN output layer: all gates 0)', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 4 });
    const tokens = presets.tiny.textLength + 12;
    const rows = tf.randomNormal([2 * tokens, 64], 0, 1, 'float32', 1) as tf.Tensor2D;
    const conditioning = tf.randomNormal([2, 64], 0, 1, 'float32', 2) as tf.Tensor2D;
    const rope = ropeTables({ textLength: presets.tiny.textLength, gridHeight: 3, gridWidth: 4, headDim: 16 });
    for (const block of model.blocks as DiTBlock[]) {
      const out = block.apply(rows, conditioning, { batch: 2, tokens, rope, checkpointing: false });
      expect(Array.from(await out.data())).toEqual(Array.from(await rows.data()));
      out.dispose();
    }
    tf.dispose([rows, conditioning, rope.cos, rope.sin]);
    model.dispose();
  });

  it('draws embedder weights from N(0, 0.02) and other Linears from uniform(+-1/sqrt(fan_in))', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 5 });
    for (const { name, variable } of model.namedVariables()) {
      const s = stats((await variable.data()) as Float32Array);
      const fanIn = name.includes('.weight') ? variable.shape[0] : model.namedVariables().find((v) => v.name === name.replace('.bias', '.weight'))!.variable.shape[0];
      const rule = initRule(name, fanIn);
      if (rule.kind === 'zeros') {
        expect(s.min === 0 && s.max === 0, name).toBe(true);
      } else if (rule.kind === 'normal') {
        expect(Math.abs(s.std - 0.02), name).toBeLessThan(0.004);
        expect(Math.abs(s.mean), name).toBeLessThan(0.004);
      } else {
        expect(s.min, name).toBeGreaterThanOrEqual(-rule.bound);
        expect(s.max, name).toBeLessThanOrEqual(rule.bound);
        if (variable.size > 500) expect(Math.abs(s.std - rule.bound / Math.sqrt(3)) / (rule.bound / Math.sqrt(3)), name).toBeLessThan(0.1);
      }
    }
    expect(initRule('x_embedder.weight', 16)).toEqual({ kind: 'normal', std: 0.02 });
    expect(initRule('t_embedder.2.weight', 64)).toEqual({ kind: 'normal', std: 0.02 });
    expect(initRule('t_embedder.0.bias', 256)).toEqual({ kind: 'uniform', bound: 1 / 16 });
    expect(initRule('blocks.11.adaLN_modulation.1.bias', 64)).toEqual({ kind: 'zeros' });
    expect(initRule('final_layer.weight', 64)).toEqual({ kind: 'zeros' });
    expect(initRule('blocks.0.mlp.2.weight', 256)).toEqual({ kind: 'uniform', bound: 1 / 16 });
    model.dispose();
  });

  it('is reproducible from the seed', async () => {
    const a = new SingleStreamDiTV2({ ...presets.tiny, seed: 9 });
    const b = new SingleStreamDiTV2({ ...presets.tiny, seed: 9 });
    const c = new SingleStreamDiTV2({ ...presets.tiny, seed: 10 });
    const weightOf = async (m: SingleStreamDiTV2) => Array.from(await m.blocks[0].qkv.weight.data());
    expect(await weightOf(a)).toEqual(await weightOf(b));
    expect(await weightOf(a)).not.toEqual(await weightOf(c));
    [a, b, c].forEach((m) => m.dispose());
  });
});

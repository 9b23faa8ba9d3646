import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '@dit/core';
import { T5Gemma2Encoder } from './encoder.js';
import { loadEncoderWeights } from './weights.js';
import { maxAbsDiff, parityCases, tinyConfig, TINY, TINY_TEXT_MODEL_SHARDED } from './test-fixtures.js';

async function loadTiny(path: string): Promise<T5Gemma2Encoder> {
  const config = await tinyConfig();
  const { weights, embedding } = await loadEncoderWeights(await openSafetensors(path), config);
  return new T5Gemma2Encoder(config, weights, embedding);
}

describe('T5Gemma2Encoder parity with transformers', () => {
  for (const [label, path] of [
    ['save_pretrained layout (model.encoder.layers.*), single file', TINY],
    ['text_model layout (model.encoder.text_model.layers.*), sharded', TINY_TEXT_MODEL_SHARDED],
  ] as const) {
    it(`matches last_hidden_state within 1e-4: ${label}`, async () => {
      const encoder = await loadTiny(path);
      const before = tf.memory().numTensors;
      for (const c of await parityCases()) {
        const out = await encoder.forward(c);
        expect(out.shape).toEqual([c.batch, c.length, c.hidden]);
        const err = maxAbsDiff(await out.data(), c.expected);
        console.log(`[t5gemma parity] ${label} batch ${c.batch} x ${c.length}: max abs error ${err.toExponential(2)}`);
        expect(err).toBeLessThan(1e-4);
        out.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
      await encoder.dispose();
    });
  }
});

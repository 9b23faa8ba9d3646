import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { openSafetensors } from '@dit/core';
import { T5Gemma2Encoder } from './encoder.js';
import { loadEncoderWeights } from './weights.js';
import { FIXTURES, maxAbsDiff, parityCases, tinyConfig, TINY, TINY_TEXT_MODEL_SHARDED } from './test-fixtures.js';

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

describe('attn_logit_softcapping', () => {
  it('is ignored, as transformers ignores it: set to 0.5, the output still matches transformers', async () => {
    // fixtures/t5gemma/softcap.json: transformers' output with the value set equals its output without it.
    const reference = JSON.parse(await readFile(`${FIXTURES}softcap.json`, 'utf8')) as { attn_logit_softcapping: number; max_abs_effect: number };
    expect(reference.max_abs_effect).toBe(0);
    const config = { ...(await tinyConfig()), attnLogitSoftcapping: reference.attn_logit_softcapping };
    const { weights, embedding } = await loadEncoderWeights(await openSafetensors(TINY), config);
    const encoder = new T5Gemma2Encoder(config, weights, embedding);
    for (const c of await parityCases()) {
      const out = await encoder.forward(c);
      expect(maxAbsDiff(await out.data(), c.expected)).toBeLessThan(1e-4);
      out.dispose();
    }
    await encoder.dispose();
  });
});

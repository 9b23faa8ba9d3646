import * as tf from '@tensorflow/tfjs-core';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GemmaTokenizer } from '../tokenizer/gemma-tokenizer.js';
import { T5GEMMA2_PRESETS } from './presets.js';
import { T5Gemma2TextEncoder, t5gemma2ModelFiles } from './text-encoder.js';
import { FIXTURES, maxAbsDiff, parityCases, TINY, TINY_TEXT_MODEL_SHARDED } from './test-fixtures.js';

const prompts: { prompts: string[]; max_length: number; case: number } = JSON.parse(await readFile(`${FIXTURES}prompts.json`, 'utf8'));
const temps: string[] = [];
afterAll(async () => {
  for (const dir of temps) await rm(dir, { recursive: true, force: true });
});

describe('T5Gemma2TextEncoder.fromPretrained (local folders)', () => {
  for (const folder of [TINY, TINY_TEXT_MODEL_SHARDED]) {
    it(`tokenizes and encodes prompts as transformers does: ${folder.split('/').pop()}`, async () => {
      const before = tf.memory();
      const te = await T5Gemma2TextEncoder.fromPretrained(folder, { maxLength: prompts.max_length, batchSize: 2 });
      expect(te.dim).toBe(32);
      expect(te.maxLength).toBe(12);
      expect(te.id).toBe(folder.split('/').pop());
      const expected = (await parityCases())[prompts.case];

      const tokens = te.tokenize(prompts.prompts);
      expect([...tokens.inputIds]).toEqual([...expected.inputIds]);
      expect([...tokens.attentionMask]).toEqual([...expected.attentionMask]);

      const { embeddings, attentionMask } = await te.encode(prompts.prompts);
      expect(embeddings.shape).toEqual([3, 12, 32]);
      expect(embeddings.dtype).toBe('float32');
      expect(attentionMask.shape).toEqual([3, 12]);
      expect(attentionMask.dtype).toBe('int32');
      expect([...(await attentionMask.data())]).toEqual([...expected.attentionMask]);
      const err = maxAbsDiff(await embeddings.data(), expected.expected);
      console.log(`[t5gemma parity] fromPretrained ${folder.split('/').pop()} prompts through the tokenizer: max abs error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-4);
      tf.dispose([embeddings, attentionMask]);

      te.dispose();
      expect(tf.memory().numTensors).toBe(before.numTensors);
      expect(tf.memory().numBytes).toBe(before.numBytes);
    });
  }

  it('loads a hub id from the Hugging Face cache without the network', async () => {
    const cache = await mkdtemp(join(tmpdir(), 't5gemma-cache-'));
    temps.push(cache);
    const commit = 'a'.repeat(40);
    await cp(TINY_TEXT_MODEL_SHARDED, join(cache, 'models--org--tiny-t5gemma2', 'snapshots', commit), { recursive: true });
    await mkdir(join(cache, 'models--org--tiny-t5gemma2', 'refs'), { recursive: true });
    await writeFile(join(cache, 'models--org--tiny-t5gemma2', 'refs', 'main'), commit);
    const te = await T5Gemma2TextEncoder.fromPretrained('org/tiny-t5gemma2', { cacheDir: cache, localFilesOnly: true, maxLength: prompts.max_length });
    expect(te.id).toBe('org/tiny-t5gemma2');
    const { embeddings, attentionMask } = await te.encode(prompts.prompts);
    expect(maxAbsDiff(await embeddings.data(), (await parityCases())[prompts.case].expected)).toBeLessThan(1e-4);
    tf.dispose([embeddings, attentionMask]);
    te.dispose();
    await expect(T5Gemma2TextEncoder.fromPretrained('org/absent', { cacheDir: cache, localFilesOnly: true })).rejects.toThrow(/org\/absent/);
  });

  it('encodes an empty prompt list to empty tensors', async () => {
    const te = await T5Gemma2TextEncoder.fromPretrained(TINY, { maxLength: 8 });
    const { embeddings, attentionMask } = await te.encode([]);
    expect(embeddings.shape).toEqual([0, 8, 32]);
    expect(attentionMask.shape).toEqual([0, 8]);
    tf.dispose([embeddings, attentionMask]);
    te.dispose();
  });

  it('names the missing file of an incomplete folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), 't5gemma-'));
    temps.push(dir);
    await cp(TINY, dir, { recursive: true });
    await rm(join(dir, 'tokenizer.json'));
    await expect(T5Gemma2TextEncoder.fromPretrained(dir)).rejects.toThrow(/tokenizer\.json/);
  });

  it('picks config, tokenizer and every weight shard from a listing', () => {
    expect(t5gemma2ModelFiles(['config.json', 'tokenizer.json', 'model.safetensors', 'README.md'])).toEqual(['config.json', 'tokenizer.json', 'model.safetensors']);
    const sharded = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'generation_config.json'];
    expect(t5gemma2ModelFiles(sharded)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'model.safetensors.index.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
    ]);
  });
});

describe('T5Gemma2TextEncoder.random', () => {
  it('builds a small encoder on a given tokenizer, deterministic in the seed, and frees it all', async () => {
    const tokenizer = await GemmaTokenizer.fromFolder(TINY);
    const config = { ...T5GEMMA2_PRESETS.tiny(), vocabSize: 376, numLayers: 2, layerTypes: ['sliding_attention', 'full_attention'] as const };
    const before = tf.memory();
    const encode = async (seed: number, texts: string[]) => {
      const te = await T5Gemma2TextEncoder.random({ config: { ...config, layerTypes: [...config.layerTypes] }, tokenizer, seed, maxLength: 10 });
      expect(te.id).toBe(`t5gemma2-random-custom-seed${seed}`);
      const { embeddings, attentionMask } = await te.encode(texts);
      const values = await embeddings.data();
      tf.dispose([embeddings, attentionMask]);
      te.dispose();
      return values;
    };
    const a = await encode(1, ['a yellow rose', 'petals']);
    expect(maxAbsDiff(a, await encode(1, ['a yellow rose', 'petals']))).toBe(0);
    expect(maxAbsDiff(a, await encode(2, ['a yellow rose', 'petals']))).toBeGreaterThan(0.1);
    expect(maxAbsDiff(a.subarray(0, 640), (await encode(1, ['a pink rose', 'petals'])).subarray(0, 640))).toBeGreaterThan(0.1);
    expect(a.every(Number.isFinite)).toBe(true);
    expect(tf.memory().numTensors).toBe(before.numTensors);
  });

  it('names an unknown preset', async () => {
    await expect(T5Gemma2TextEncoder.random({ config: 'huge' as 'tiny' })).rejects.toThrow(/unknown preset "huge" \(t5gemma-2-1b-1b, tiny\)/);
  });

  it("defaults to the 'tiny' preset with the real Gemma 3 tokenizer (no download)", async () => {
    const te = await T5Gemma2TextEncoder.random({ maxLength: 32 });
    expect(te.id).toBe('t5gemma2-random-tiny-seed0');
    expect(te.dim).toBe(64);
    expect(te.config.vocabSize).toBe(262_144);
    const { embeddings, attentionMask } = await te.encode(['A macro shot of a yellow dandelion flower head with fine petals, natural daylight.']);
    expect(embeddings.shape).toEqual([1, 32, 64]);
    const mask = await attentionMask.data();
    expect(mask[0]).toBe(1);
    expect(mask[31]).toBe(0);
    tf.dispose([embeddings, attentionMask]);
    te.dispose();
  });
});

import { describe, expect, it } from 'vitest';
import { openSafetensors, type TensorSource } from '@dit/core';
import { FileEmbeddingRows, SeededEmbeddingRows } from './embedding.js';
import { T5Gemma2Encoder } from './encoder.js';
import { loadEncoderWeights } from './weights.js';
import { tinyConfig, TINY } from './test-fixtures.js';

/** Records what is read from a source. */
function spy(source: TensorSource): { source: TensorSource; reads: string[]; rowReads: [string, number[]][] } {
  const reads: string[] = [];
  const rowReads: [string, number[]][] = [];
  const wrapped: TensorSource = {
    path: source.path,
    metadata: source.metadata,
    keys: () => source.keys(),
    has: (name) => source.has(name),
    info: (name) => source.info(name),
    read: (name) => (reads.push(name), source.read(name)),
    readRows: (name, rows) => (rowReads.push([name, [...rows]]), source.readRows(name, rows)),
    close: () => source.close(),
  };
  return { source: wrapped, reads, rowReads };
}

describe('FileEmbeddingRows', () => {
  it('gathers only the rows a batch uses, never the whole table', async () => {
    const config = await tinyConfig();
    const watched = spy(await openSafetensors(`${TINY}/model.safetensors`));
    const { weights, embedding } = await loadEncoderWeights(watched.source, config);
    const encoder = new T5Gemma2Encoder(config, weights, embedding);
    const ids = new Int32Array([2, 40, 41, 0, 2, 7, 0, 0]);
    const out = await encoder.forward({ inputIds: ids, attentionMask: new Int32Array([1, 1, 1, 0, 1, 1, 0, 0]), batch: 2, length: 4 });
    out.dispose();
    expect(watched.reads).not.toContain('model.encoder.embed_tokens.weight');
    expect(watched.rowReads).toEqual([['model.encoder.embed_tokens.weight', [...ids]]]);

    const reference = await openSafetensors(`${TINY}/model.safetensors`);
    const full = await reference.read('model.encoder.embed_tokens.weight');
    await reference.close();
    const rows = await embedding.rows([41, 2]);
    expect([...rows]).toEqual([...full.data.subarray(41 * 32, 42 * 32), ...full.data.subarray(2 * 32, 3 * 32)]);
    await expect(embedding.rows([376])).rejects.toThrow(/token id 376 at position 0 is outside the vocabulary \[0, 376\)/);
    await encoder.dispose();
  });

  it('replaces the end-of-image token by eoi_embedding, unscaled, and scales the others by sqrt(hidden)', async () => {
    const config = await tinyConfig();
    const source = await openSafetensors(TINY);
    const { weights, embedding } = await loadEncoderWeights(source, config);
    const encoder = new T5Gemma2Encoder(config, weights, embedding);
    const embedded = await encoder.embed(new Int32Array([config.eoiTokenIndex, 7]));
    const values = await embedded.data();
    const eoi = (await source.read('model.encoder.embed_tokens.eoi_embedding')).data;
    const row7 = (await source.readRows('model.encoder.embed_tokens.weight', [7])).data;
    expect([...values.subarray(0, 32)]).toEqual([...eoi]);
    expect([...values.subarray(32)]).toEqual([...row7].map((v) => Math.fround(v * Math.fround(Math.sqrt(32)))));
    embedded.dispose();
    await encoder.dispose();
    expect(embedding instanceof FileEmbeddingRows).toBe(true);
  });
});

describe('SeededEmbeddingRows', () => {
  it('gives each token a fixed row, whatever batch it comes in', async () => {
    const table = new SeededEmbeddingRows(262_144, 16, 3, 0.5);
    const both = await table.rows([5, 262_143]);
    expect([...both.subarray(16)]).toEqual([...(await table.rows([262_143]))]);
    expect([...both.subarray(0, 16)]).toEqual([...new SeededEmbeddingRows(262_144, 16, 3, 0.5).row(5)]);
    expect([...both.subarray(0, 16)]).not.toEqual([...new SeededEmbeddingRows(262_144, 16, 4, 0.5).row(5)]);
    await expect(table.rows([-1])).rejects.toThrow(/outside the vocabulary/);
  });
});

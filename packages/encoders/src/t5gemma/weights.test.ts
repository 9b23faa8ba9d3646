import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import type { TensorInfo, TensorSource } from '@dit/core';
import { parseT5Gemma2Config } from './config.js';
import { checkCheckpoint, detectLayout } from './weights.js';
import { LAYOUT_1B } from './test-fixtures.js';

/** The real t5gemma-2-1b-1b checkpoint's names and shapes (no data), from transformers on the meta device. */
const layout: { config: object; tensors: { name: string; shape: number[] }[] } = JSON.parse(await readFile(LAYOUT_1B, 'utf8'));
const config = parseT5Gemma2Config(layout.config, LAYOUT_1B);
const TEXT = /^model\.encoder\.(layers|embed_tokens|norm)\./;

type Names = Pick<TensorSource, 'path' | 'keys' | 'has' | 'info'>;
function namesOnly(tensors: { name: string; shape: number[] }[]): Names {
  const byName = new Map(tensors.map((t) => [t.name, t.shape]));
  return {
    path: 't5gemma-2-1b-1b/model.safetensors',
    keys: () => [...byName.keys()],
    has: (name) => byName.has(name),
    info: (name): TensorInfo => ({ name, dtype: 'BF16', shape: byName.get(name)!, dataOffsets: [0, 0] }),
  };
}
const rename = (from: RegExp, to: string) => layout.tensors.map((t) => ({ ...t, name: t.name.replace(from, to) }));

describe('checkCheckpoint on the full-size t5gemma-2-1b-1b layout', () => {
  it('reads exactly the encoder text tensors of the saved layout, ignoring vision tower, projector and decoder', () => {
    const { layout: found, plan } = checkCheckpoint(namesOnly(layout.tensors), config);
    expect(found).toEqual({ prefix: 'model.encoder.', embedding: 'model.encoder.embed_tokens.weight', eoiEmbedding: 'model.encoder.embed_tokens.eoi_embedding' });
    const expected = layout.tensors.filter((t) => TEXT.test(t.name));
    expect(plan.map((t) => t.name).sort()).toEqual(expected.map((t) => t.name).sort());
    expect(plan).toHaveLength(26 * 13 + 3);
    expect(layout.tensors.some((t) => t.name.startsWith('model.encoder.vision_tower.'))).toBe(true);
    expect(layout.tensors.some((t) => t.name.startsWith('model.decoder.layers.'))).toBe(true);
    expect(plan.find((t) => t.role === 'embedding')!.shape).toEqual([262_144, 1152]);
  });

  it('reads the same tensors under model.encoder.text_model.*', () => {
    const tensors = rename(/^model\.encoder\.(layers|embed_tokens|norm)\./, 'model.encoder.text_model.$1.');
    const { layout: found, plan } = checkCheckpoint(namesOnly(tensors), config);
    expect(found.prefix).toBe('model.encoder.text_model.');
    expect(plan.map((t) => t.name).sort()).toEqual(tensors.filter((t) => t.name.startsWith('model.encoder.text_model.')).map((t) => t.name).sort());
  });

  it('falls back to the tied decoder embedding when the encoder copy is not stored', () => {
    const tensors = layout.tensors
      .filter((t) => !t.name.startsWith('model.encoder.embed_tokens.'))
      .concat([
        { name: 'model.decoder.embed_tokens.weight', shape: [262_144, 1152] },
        { name: 'model.decoder.embed_tokens.eoi_embedding', shape: [1152] },
      ]);
    expect(detectLayout(namesOnly(tensors))).toMatchObject({ embedding: 'model.decoder.embed_tokens.weight', eoiEmbedding: 'model.decoder.embed_tokens.eoi_embedding' });
    expect(() => checkCheckpoint(namesOnly(tensors), config)).not.toThrow();
  });

  it('names a missing tensor, a wrong shape and an unexpected layer', () => {
    const missing = layout.tensors.filter((t) => t.name !== 'model.encoder.layers.25.mlp.down_proj.weight');
    expect(() => checkCheckpoint(namesOnly(missing), config)).toThrow(/\[tensor 'model\.encoder\.layers\.25\.mlp\.down_proj\.weight'\]: missing .* \[1152, 6912\]/);
    const reshaped = layout.tensors.map((t) => (t.name === 'model.encoder.layers.3.self_attn.k_proj.weight' ? { ...t, shape: [512, 1152] } : t));
    expect(() => checkCheckpoint(namesOnly(reshaped), config)).toThrow(/k_proj\.weight'\]: shape \[512, 1152\] does not match the config, which implies \[256, 1152\]/);
    const extra = [...layout.tensors, { name: 'model.encoder.layers.26.mlp.up_proj.weight', shape: [6912, 1152] }];
    expect(() => checkCheckpoint(namesOnly(extra), config)).toThrow(/1 text encoder tensor\(s\) the config does not account for \(num_hidden_layers is 26\), e\.g\. 'model\.encoder\.layers\.26/);
  });

  it('says so when a file holds no text encoder', () => {
    const visionOnly = layout.tensors.filter((t) => !TEXT.test(t.name));
    expect(() => detectLayout(namesOnly(visionOnly))).toThrow(/t5gemma-2-1b-1b\/model\.safetensors: no T5Gemma 2 text encoder found/);
  });
});

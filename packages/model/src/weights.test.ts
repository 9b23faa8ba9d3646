import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSafetensors, readAllTensors, writeSafetensors } from '@dit/core';
import { SingleStreamDiTV2 } from './model.js';
import { presets } from './presets.js';
import { fixturePath, maxAbsDiff, randomizeWeights } from './internals/test-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'dit-model-weights-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const torchListing = JSON.parse(readFileSync(fixturePath('torch-state-dict.json'), 'utf8')) as Record<string, { state_dict: [string, number[]][] }>;

describe('saveWeights / loadWeights', () => {
  it('writes the PyTorch state dict: names, order and [out, in] layouts', async () => {
    const model = await SingleStreamDiTV2.fromPretrained(fixturePath('parity'));
    const path = join(dir, 'saved.safetensors');
    await model.saveWeights(path);
    const file = await openSafetensors(path);
    expect(file.keys().map((k) => [k, file.info(k).shape])).toEqual(torchListing.parity.state_dict);
    expect(JSON.parse(file.metadata.dit_config)).toMatchObject({ hidden_size: 32, depth: 2, text_length: 7 });
    await file.close();
    // Same bytes as the checkpoint PyTorch wrote: layouts are transposed back exactly.
    const [ours, theirs] = [await readAllTensors(path), await readAllTensors(fixturePath('parity/model.safetensors'))];
    for (const [name, tensor] of theirs.tensors) expect(Array.from(ours.tensors.get(name)!.data), name).toEqual(Array.from(tensor.data));
    model.dispose();
  });

  it('round-trips F32 exactly and BF16 / F16 to their precision', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    randomizeWeights(model, 3);
    const original = await model.stateDict();
    for (const [dtype, tolerance] of [['F32', 0], ['BF16', 2 ** -8], ['F16', 2 ** -11]] as const) {
      const path = join(dir, `tiny-${dtype}.safetensors`);
      await model.saveWeights(path, { dtype });
      const copy = new SingleStreamDiTV2({ ...presets.tiny, initialize: false });
      const report = await copy.loadWeights(path);
      expect(report.dtypes).toEqual([dtype]);
      expect(report.loaded.length).toBe(original.size);
      for (const [name, tensor] of await copy.stateDict()) {
        const reference = original.get(name)!.data;
        const scale = Math.max(...Array.from(reference, Math.abs));
        expect(maxAbsDiff(tensor.data, reference), `${dtype} ${name}`).toBeLessThanOrEqual(tolerance * scale);
      }
      copy.dispose();
    }
    model.dispose();
  });

  it('saves and restores a folder with config.json (savePretrained / fromPretrained)', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, depth: 1, seed: 2 });
    randomizeWeights(model, 4);
    await model.savePretrained(join(dir, 'pretrained'));
    expect(JSON.parse(readFileSync(join(dir, 'pretrained', 'config.json'), 'utf8'))).toMatchObject({ _class_name: 'SingleStreamDiTV2', depth: 1, hidden_size: 64 });
    const restored = await SingleStreamDiTV2.fromPretrained(join(dir, 'pretrained'), { model: { gradientCheckpointing: true } });
    expect(restored.config).toEqual(model.config);
    expect(restored.gradientCheckpointing).toBe(true);
    expect(Array.from(await restored.finalLayer.weight.data())).toEqual(Array.from(await model.finalLayer.weight.data()));
    // Without config.json, the dit_config metadata written by saveWeights is used.
    await model.saveWeights(join(dir, 'bare', 'weights.safetensors'));
    const bare = await SingleStreamDiTV2.fromPretrained(join(dir, 'bare', 'weights.safetensors'));
    expect(bare.config).toEqual(model.config);
    [model, restored, bare].forEach((m) => m.dispose());
  });

  it('fails strictly, before changing anything, naming each tensor with expected and found shapes', async () => {
    const source = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    const tensors = await source.stateDict();
    tensors.delete('blocks.1.proj.bias');
    tensors.set('blocks.0.qkv.weight', { shape: [96, 64], data: new Float32Array(96 * 64) });
    tensors.set('pos_embed', { shape: [1, 4], data: new Float32Array(4) });
    const path = join(dir, 'broken.safetensors');
    await writeSafetensors(path, tensors);
    const target = new SingleStreamDiTV2({ ...presets.tiny, seed: 2 });
    const before = Array.from(await target.xEmbedder.weight.data());
    const attempt = target.loadWeights(path);
    await expect(attempt).rejects.toThrow(/blocks\.0\.qkv\.weight: expected \[192, 64\], found \[96, 64\]/);
    await expect(target.loadWeights(path)).rejects.toThrow(/missing from the file \(1\):\n {2}blocks\.1\.proj\.bias/);
    await expect(target.loadWeights(path)).rejects.toThrow(/not parameters of this model \(1\):\n {2}pos_embed/);
    expect(Array.from(await target.xEmbedder.weight.data())).toEqual(before);

    const report = await target.loadWeights(path, { strict: false });
    expect(report.missing).toEqual(['blocks.1.proj.bias']);
    expect(report.unexpected).toEqual(['pos_embed']);
    expect(report.mismatched).toEqual([{ name: 'blocks.0.qkv.weight', expected: [192, 64], found: [96, 64] }]);
    expect(report.loaded.length).toBe(source.namedVariables().length - 2);
    expect(Array.from(await target.xEmbedder.weight.data())).toEqual(Array.from(await source.xEmbedder.weight.data()));
    [source, target].forEach((m) => m.dispose());
  });

  it('accepts checkpoints saved from torch.compile (_orig_mod.) or DDP (module.) models', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 6 });
    const prefixed = new Map([...(await model.stateDict())].map(([name, tensor]) => [`_orig_mod.${name}`, tensor]));
    const path = join(dir, 'compiled.safetensors');
    await writeSafetensors(path, prefixed);
    const copy = new SingleStreamDiTV2({ ...presets.tiny, initialize: false });
    expect((await copy.loadWeights(path)).strippedPrefix).toBe('_orig_mod.');
    expect(Array.from(await copy.blocks[1].mlpOut.weight.data())).toEqual(Array.from(await model.blocks[1].mlpOut.weight.data()));
    [model, copy].forEach((m) => m.dispose());
  });

  it('rejects a config.json that does not describe a model, naming the file', async () => {
    const folder = join(dir, 'bad-config');
    const model = new SingleStreamDiTV2({ ...presets.tiny, depth: 1 });
    await model.savePretrained(folder);
    writeFileSync(join(folder, 'config.json'), JSON.stringify({ hidden_size: 64, num_heads: 5 }));
    await expect(SingleStreamDiTV2.fromPretrained(folder)).rejects.toThrow(/config\.json: config\.hiddenSize \(64\) must be divisible by config\.numHeads \(5\)/);
    model.dispose();
  });

  it('leaks no tensors when loading, saving or failing', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, seed: 1 });
    const path = join(dir, 'leak.safetensors');
    const before = tf.memory().numTensors;
    await model.saveWeights(path);
    await model.loadWeights(path);
    await model.loadWeights(join(dir, 'broken.safetensors'), { strict: false });
    await model.stateDict();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

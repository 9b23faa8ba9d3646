import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SingleStreamDiTV2 } from './model.js';
import { originalIncompatibilities } from './original-compat.js';
import { presets } from './presets.js';

const dir = mkdtempSync(join(tmpdir(), 'dit-model-original-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('weights the original project cannot run', () => {
  it('lists a text length other than 256 and a patch size other than 2', () => {
    expect(originalIncompatibilities({ textLength: 256, patchSize: 2 })).toEqual([]);
    expect(originalIncompatibilities({ textLength: 77, patchSize: 1 })).toEqual(['text_length 77 (it hard-codes 256 text tokens)', 'patch_size 1 (it hard-codes 2)']);
  });

  it('saving them warns (through onWarning, or a process warning once); the original config does not', async () => {
    const model = new SingleStreamDiTV2({ ...presets.tiny, depth: 1, textLength: 12, seed: 1 });
    const seen: string[] = [];
    await model.savePretrained(join(dir, 'short-text'), { onWarning: (message) => seen.push(message) });
    expect(seen).toEqual([`${join(dir, 'short-text', 'model.safetensors')}: the original project's code cannot run these weights: text_length 12 (it hard-codes 256 text tokens); @dit and tools/reference/model_reference.py can`]);

    const warnings: Error[] = [];
    const listener = (warning: Error) => warnings.push(warning);
    process.on('warning', listener);
    try {
      await model.saveWeights(join(dir, 'a.safetensors'));
      await model.saveWeights(join(dir, 'b.safetensors'));
      await new Promise((done) => setImmediate(done));
    } finally {
      process.off('warning', listener);
    }
    expect(warnings.map((w) => [(w as Error & { code?: string }).code, w.message])).toEqual([['DIT_ORIGINAL_INCOMPATIBLE', expect.stringMatching(/a\.safetensors: the original project's code cannot run these weights: text_length 12/)]]);
    model.dispose();

    const original = new SingleStreamDiTV2({ ...presets.tiny, depth: 1, textLength: 256, seed: 1 });
    const none: string[] = [];
    await original.savePretrained(join(dir, 'full-text'), { onWarning: (message) => none.push(message) });
    expect(none).toEqual([]);
    original.dispose();
  });
});

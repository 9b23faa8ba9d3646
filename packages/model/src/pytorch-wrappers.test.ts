import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SingleStreamDiTV2 } from './model.js';
import { fixturePath } from './internals/test-helpers.js';

// State dicts saved by real torch modules: tools/reference/state_dict_wrappers_fixture.py.
const WRAPPINGS: [file: string, prefix: string, wrapperKeys: string[]][] = [
  ['compiled', '_orig_mod.', []],
  ['data-parallel', 'module.', []],
  ['averaged', 'module.', ['n_averaged']],
  ['averaged-compiled', 'module._orig_mod.', ['n_averaged']],
  ['compiled-data-parallel', '_orig_mod.module.', []],
  ['data-parallel-compiled', 'module._orig_mod.', []],
];

const dir = mkdtempSync(join(tmpdir(), 'dit-model-wrappers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function weightsOf(model: SingleStreamDiTV2): Promise<Map<string, Float32Array>> {
  return new Map(await Promise.all(model.namedVariables().map(async ({ name, variable }) => [name, (await variable.data()) as Float32Array] as const)));
}

describe('state dicts of wrapped PyTorch models', () => {
  it.each(WRAPPINGS)('%s (keys %s...) load strictly into the same weights as the plain state dict', async (file, prefix, wrapperKeys) => {
    const plain = await SingleStreamDiTV2.fromPretrained(fixturePath('wrapped/plain.safetensors'));
    const model = new SingleStreamDiTV2({ ...plain.config, seed: 99 });
    expect(await weightsOf(model)).not.toEqual(await weightsOf(plain));
    const report = await model.loadWeights(fixturePath(`wrapped/${file}.safetensors`));
    expect(report.strippedPrefix).toBe(prefix);
    expect(report.wrapperKeys).toEqual(wrapperKeys);
    expect(report.missing.concat(report.unexpected)).toEqual([]);
    expect(report.loaded.length).toBe(plain.namedVariables().length);
    expect(await weightsOf(model)).toEqual(await weightsOf(plain));
    [plain, model].forEach((m) => m.dispose());
  });

  it('fromPretrained reads an AveragedModel state dict (the original EMA) beside config.json', async () => {
    const folder = join(dir, 'ema');
    rmSync(folder, { recursive: true, force: true });
    await import('node:fs/promises').then((fs) => fs.mkdir(folder));
    copyFileSync(fixturePath('wrapped/config.json'), join(folder, 'config.json'));
    copyFileSync(fixturePath('wrapped/averaged-compiled.safetensors'), join(folder, 'model.safetensors'));
    const model = await SingleStreamDiTV2.fromPretrained(folder);
    expect(model.config).toMatchObject({ hiddenSize: 16, depth: 1, textLength: 4 });
    model.dispose();
  });

  it('a folder holding a torch.save file names it and says how to convert it', async () => {
    const folder = join(dir, 'torch');
    await import('node:fs/promises').then((fs) => fs.mkdir(folder, { recursive: true }));
    copyFileSync(fixturePath('wrapped/config.json'), join(folder, 'config.json'));
    // torch.save's zip archive starts with a zip local file header.
    writeFileSync(join(folder, 'ema_weights_epoch_1200.pt'), Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)]));
    await expect(SingleStreamDiTV2.fromPretrained(folder)).rejects.toThrow(
      /torch: no \.safetensors file, only PyTorch files \(ema_weights_epoch_1200\.pt\), which are pickles and not read here; convert one with Python:\n\s+import torch\n/,
    );
    await expect(SingleStreamDiTV2.fromPretrained(join(folder, 'ema_weights_epoch_1200.pt'))).rejects.toThrow(
      /ema_weights_epoch_1200\.pt: not a safetensors file: this is a PyTorch checkpoint \(torch\.save zip archive\)/,
    );
  });
});

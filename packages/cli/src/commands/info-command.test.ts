import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../errors.js';
import { runCli } from '../main.js';
import { capture } from '../test-capture.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-info-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dit info prints large counts exactly', () => {
  it('a config past 2^53 parameters', async () => {
    // hidden 1052672 (1024 heads of 1028), depth 4099: 81,760,361,693,122,576 parameters (Python's exact integer
    // arithmetic); a double sum prints 81,760,361,693,122,580.
    const config = { _class_name: 'SingleStreamDiTV2', in_channels: 4, patch_size: 2, hidden_size: 1052672, depth: 4099, num_heads: 1024, text_embed_dim: 1152, text_length: 256 };
    await writeFile(join(dir, 'config.json'), JSON.stringify(config));
    const text = capture();
    expect(await runCli(['info', dir], text.io)).toBe(EXIT.ok);
    expect(text.out.join('\n')).toContain('parameters: 81,760,361,693,122,576\n');
    const json = capture();
    expect(await runCli(['info', dir, '--json'], json.io)).toBe(EXIT.ok);
    expect(JSON.parse(json.out.join('\n')).parametersExact).toBe('81760361693122576');
  });
});

describe('PyTorch files given where safetensors are read', () => {
  it('dit info and dit sample --model name a torch.save file and say how to convert it', async () => {
    const pt = join(dir, 'full_state_final.pt');
    // torch.save's default format is a zip archive.
    await writeFile(pt, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)]));
    const info = capture();
    expect(await runCli(['info', pt], info.io)).toBe(EXIT.usage);
    expect(info.err.join('\n')).toMatch(/full_state_final\.pt: not a safetensors file: this is a PyTorch checkpoint \(torch\.save zip archive\) or another zip file; convert it to safetensors with Python .*:\n\s+import torch\n/);
    const sample = capture();
    expect(await runCli(['sample', '--model', pt, '--prompt', 'a rose', '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--out', join(dir, 'samples')], sample.io)).toBe(EXIT.usage);
    expect(sample.err.join('\n')).toMatch(/--model .*full_state_final\.pt: not a model folder .*; this is a PyTorch checkpoint \(torch\.save zip archive\)/);
  });
});

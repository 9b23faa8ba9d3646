import * as tf from '@tensorflow/tfjs-core';
import { readAllTensors, writeSafetensors, type TensorToWrite } from '@dit/core';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeHub } from '../hub/testing/fake-hub.js';
import { AutoencoderKL } from './autoencoder-kl.js';
import { resolveAutoencoderKLFiles } from './load.js';
import { maxAbsDiff, readIo, vaeFixture } from './test-helpers.js';

const tinyConfig = () => readFileSync(vaeFixture('tiny/config.json'), 'utf8');
const tinyWeights = () => readFileSync(vaeFixture('tiny/diffusion_pytorch_model.safetensors'));
const tempDir = () => mkdtempSync(join(tmpdir(), 'dit-vae-'));

async function tinyTensors(): Promise<Map<string, TensorToWrite>> {
  const { tensors } = await readAllTensors(vaeFixture('tiny/diffusion_pytorch_model.safetensors'));
  return new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, data: t.data }]));
}

/** Decodes the tiny fixture's latents and compares with diffusers. */
async function decodeError(vae: AutoencoderKL): Promise<number> {
  const io = await readIo('tiny');
  const scaled = tf.mul(io.z, vae.scalingFactor) as tf.Tensor4D;
  const images = await vae.decode(scaled);
  const error = await maxAbsDiff(images, io.decoded);
  tf.dispose([scaled, images, ...Object.values(io)]);
  return error;
}

describe('AutoencoderKL.fromPretrained: local folders', () => {
  it('names the missing weights file and what it looks for', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), tinyConfig());
    await expect(AutoencoderKL.fromPretrained(dir)).rejects.toThrow(
      new RegExp(`${dir}: missing diffusion_pytorch_model.safetensors \\(AutoencoderKL needs config.json and one of: diffusion_pytorch_model.safetensors, .*diffusion_pytorch_model.fp16.safetensors`),
    );
  });

  it('a folder holding only diffusion_pytorch_model.bin says how to convert it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), tinyConfig());
    writeFileSync(join(dir, 'diffusion_pytorch_model.bin'), Buffer.from('PK\x03\x04'));
    await expect(AutoencoderKL.fromPretrained(dir)).rejects.toThrow(
      /; it has diffusion_pytorch_model\.bin, PyTorch's pickle format, which is not read here: convert it with Python:\n\s+import torch\n[^]*torch\.load\("diffusion_pytorch_model\.bin"[^]*"diffusion_pytorch_model\.safetensors"\)/,
    );
  });

  it('names the config file and field of a model that is not an AutoencoderKL', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ _class_name: 'AutoencoderTiny' }));
    writeFileSync(join(dir, 'diffusion_pytorch_model.safetensors'), tinyWeights());
    await expect(AutoencoderKL.fromPretrained(dir)).rejects.toThrow(`${join(dir, 'config.json')}: field "_class_name" is "AutoencoderTiny"`);
  });

  it('prefers full precision, takes the fp16 variant on request', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), tinyConfig());
    writeFileSync(join(dir, 'diffusion_pytorch_model.safetensors'), tinyWeights());
    copyFileSync(vaeFixture('tiny-legacy/diffusion_pytorch_model.fp16.safetensors'), join(dir, 'diffusion_pytorch_model.fp16.safetensors'));
    expect((await resolveAutoencoderKLFiles(dir)).weightsPath).toBe(join(dir, 'diffusion_pytorch_model.safetensors'));
    expect((await resolveAutoencoderKLFiles(dir, { variant: 'fp16' })).weightsPath).toBe(join(dir, 'diffusion_pytorch_model.fp16.safetensors'));
  });

  it('loads sharded weights through the index', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), tinyConfig());
    const tensors = [...(await tinyTensors())];
    const half = Math.floor(tensors.length / 2);
    const shards = ['diffusion_pytorch_model-00001-of-00002.safetensors', 'diffusion_pytorch_model-00002-of-00002.safetensors'];
    await writeSafetensors(join(dir, shards[0]), new Map(tensors.slice(0, half)));
    await writeSafetensors(join(dir, shards[1]), new Map(tensors.slice(half)));
    const weightMap = Object.fromEntries(tensors.map(([name], i) => [name, shards[i < half ? 0 : 1]]));
    writeFileSync(join(dir, 'diffusion_pytorch_model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    const vae = await AutoencoderKL.fromPretrained(dir);
    expect(await decodeError(vae)).toBeLessThan(1e-4);
    vae.dispose();
  });

  it('refuses weights that miss a tensor, naming the file and the tensor', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'config.json'), tinyConfig());
    const tensors = await tinyTensors();
    tensors.delete('decoder.up_blocks.1.resnets.2.conv1.weight');
    await writeSafetensors(join(dir, 'diffusion_pytorch_model.safetensors'), tensors);
    const before = tf.memory().numTensors;
    await expect(AutoencoderKL.fromPretrained(dir)).rejects.toThrow(
      `${join(dir, 'diffusion_pytorch_model.safetensors')}: the weights do not match the AutoencoderKL config: missing 1: decoder.up_blocks.1.resnets.2.conv1.weight`,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('AutoencoderKL.fromPretrained: the hub', () => {
  const commit = 'c'.repeat(40);
  let hub: FakeHub;
  beforeAll(async () => {
    hub = await new FakeHub({
      'org/pipeline': {
        refs: { main: commit },
        commits: {
          [commit]: {
            'model_index.json': { content: '{}' },
            'unet/config.json': { content: '{"_class_name":"UNet2DConditionModel"}' },
            'vae/config.json': { content: tinyConfig() },
            'vae/diffusion_pytorch_model.safetensors': { content: tinyWeights(), lfs: true },
          },
        },
      },
    }).start();
  });
  afterAll(() => hub.stop());

  it('downloads only the VAE files of a pipeline repository (subfolder) and decodes as diffusers', async () => {
    const cacheDir = tempDir();
    const vae = await AutoencoderKL.fromPretrained('org/pipeline', { subfolder: 'vae', cacheDir, hubUrl: hub.url, env: {} });
    expect(vae.id).toBe('org/pipeline/vae');
    expect(await decodeError(vae)).toBeLessThan(1e-4);
    vae.dispose();
    expect(hub.requests.some((r) => r.url.includes('unet') || r.url.includes('model_index'))).toBe(false);
    const offline = await AutoencoderKL.fromPretrained('org/pipeline', { subfolder: 'vae', cacheDir, env: { HF_HUB_OFFLINE: '1' } });
    offline.dispose();
  });

  it('names the file a subfolder lacks', async () => {
    await expect(AutoencoderKL.fromPretrained('org/pipeline', { subfolder: 'unet', cacheDir: tempDir(), hubUrl: hub.url, env: {} })).rejects.toThrow(
      /org\/pipeline@main: the repository has no unet\/diffusion_pytorch_model.safetensors/,
    );
  });
});

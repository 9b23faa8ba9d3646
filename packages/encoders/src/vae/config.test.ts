import { describe, expect, it } from 'vitest';
import { downsampleFactor, parseAutoencoderKLConfig } from './config.js';
import { tilePlan } from './tiling.js';

describe('AutoencoderKL config', () => {
  it('reads diffusers fields with diffusers defaults', () => {
    const config = parseAutoencoderKLConfig({ block_out_channels: [128, 256, 512, 512], layers_per_block: 2, scaling_factor: 0.13025, shift_factor: null });
    expect(config).toMatchObject({ latentChannels: 4, normNumGroups: 32, shiftFactor: 0, useQuantConv: true, midBlockAddAttention: true, sampleSize: 32 });
    expect(downsampleFactor(config)).toBe(8);
  });

  it('names the file and field at fault', () => {
    expect(() => parseAutoencoderKLConfig({ _class_name: 'UNet2DConditionModel' }, 'unet/config.json')).toThrow(
      /^unet\/config.json: field "_class_name" is "UNet2DConditionModel", but this loader reads AutoencoderKL only/,
    );
    expect(() => parseAutoencoderKLConfig({ block_out_channels: [8, 16], down_block_types: ['DownEncoderBlock2D', 'AttnDownEncoderBlock2D'] }, 'c.json')).toThrow(
      /c.json: field "down_block_types" holds "AttnDownEncoderBlock2D"; only DownEncoderBlock2D is supported/,
    );
    expect(() => parseAutoencoderKLConfig({ block_out_channels: [8, 12], norm_num_groups: 8 }, 'c.json')).toThrow(/field "norm_num_groups" \(8\) must divide every block_out_channels entry; 12 does not/);
    expect(() => parseAutoencoderKLConfig({ latent_channels: 2.5 }, 'c.json')).toThrow(/field "latent_channels" must be a positive integer, got 2.5/);
    expect(() => parseAutoencoderKLConfig({ act_fn: 'gelu' }, 'c.json')).toThrow(/field "act_fn" is "gelu"/);
  });
});

describe('tile geometry', () => {
  it('follows diffusers: SDXL tiles of 128 latents keep 768 pixels and blend 256', () => {
    expect(tilePlan('decode', 128, 8, 0.25)).toEqual({ tileSize: 128, stride: 96, blendExtent: 256, rowLimit: 768 });
    expect(tilePlan('encode', 128, 8, 0.25)).toEqual({ tileSize: 1024, stride: 768, blendExtent: 32, rowLimit: 96 });
  });

  it('refuses overlaps that are not whole latents', () => {
    expect(() => tilePlan('decode', 10, 8, 0.25)).toThrow(/stride of 7 latents but 60 pixels kept per tile/);
  });
});

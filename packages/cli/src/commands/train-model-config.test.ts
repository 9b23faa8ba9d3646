import { describe, expect, it } from 'vitest';
import type { Manifest } from '@dit/data';
import { presets } from '@dit/model';
import { resolveTrainModelConfig } from './train-model-config.js';

/** A manifest with one entry of original-sized latents and text (only what the resolver reads). */
const manifest = {
  entries: [{ file: 'a.safetensors', latentShape: [4, 32, 32], textShape: [256, 1152] }],
} as unknown as Manifest;

describe('resolveTrainModelConfig', () => {
  it("defaults to the 'original' preset", async () => {
    const warnings: string[] = [];
    expect(await resolveTrainModelConfig({}, manifest, 'cache', (line) => warnings.push(line))).toEqual(presets.original);
    expect(warnings).toEqual([]);
  });

  it("takes the deprecated name 'seed' for 'original', with a warning", async () => {
    const warnings: string[] = [];
    expect(await resolveTrainModelConfig({ preset: 'seed' }, manifest, 'cache', (line) => warnings.push(line))).toEqual(presets.original);
    expect(warnings).toEqual([expect.stringMatching(/--preset seed is deprecated: the preset is now called 'original'/)]);
  });
});

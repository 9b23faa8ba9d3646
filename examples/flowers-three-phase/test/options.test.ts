import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { CacheStatistics } from '@dit/data';
import { parseFlowersArgs, resolvePathsFrom } from '../src/cli-args.js';
import { FLOWERS_DEFAULTS, resolveFlowersOptions } from '../src/options.js';
import { flowersSchedule } from '../src/schedule.js';

describe('flowers-three-phase options', () => {
  it('parses the command line, leaving unset options to the defaults', () => {
    const parsed = parseFlowersArgs(['--', '--dataset', 'd', '--scale', 'tiny', '--epochs', '9', '--prompt', 'a', '--prompt', 'b', '--cfg', '2.5', '--resume', '--no-progress']);
    expect(parsed).toEqual({ dataset: 'd', scale: 'tiny', epochs: 9, prompts: ['a', 'b'], guidanceScale: 2.5, resume: true, progress: false });
    const resolved = resolveFlowersOptions(parsed as { dataset: string });
    expect(resolved).toMatchObject({ batchSize: 8, sampler: 'rk4', sampleSteps: 50, validateEvery: 5, memoryBudget: '16GB', normalisation: 'preset', cache: 'runs/flowers/cache' });
    expect(parseFlowersArgs(['--help'])).toBe('help');
    expect(() => parseFlowersArgs(['--scale', 'tiny'])).toThrow('--dataset is required');
    expect(() => parseFlowersArgs(['--dataset', 'd', '--epochs', 'six'])).toThrow("--epochs: expected an integer, got 'six'");
    expect(parseFlowersArgs(['--dataset', 'd', '--backend', 'WebGPU', '--time-budget', '20'])).toEqual({ dataset: 'd', backend: 'webgpu', timeBudget: 20 });
    expect(() => parseFlowersArgs(['--dataset', 'd', '--backend', 'gpu'])).toThrow("--backend: unknown backend 'gpu'; expected one of node-gpu, webgpu, node, wasm, cpu");
  });

  it('resolves paths against the folder pnpm started in, leaving hub ids alone', () => {
    const here = fileURLToPath(new URL('..', import.meta.url));
    const resolved = resolvePathsFrom({ dataset: 'data/flowers', cache: '/abs/cache', vae: 'KBlueLeaf/EQ-SDXL-VAE', textEncoder: 'src' }, here);
    expect(resolved).toEqual({ dataset: join(here, 'data/flowers'), out: join(here, 'runs/flowers'), cache: '/abs/cache', vae: 'KBlueLeaf/EQ-SDXL-VAE', textEncoder: join(here, 'src') });
  });

  it('options given as undefined take their defaults, as missing ones do', () => {
    const unset = Object.fromEntries(Object.keys(FLOWERS_DEFAULTS).map((key) => [key, undefined]));
    const { log, ...resolved } = resolveFlowersOptions({ dataset: 'd', ...unset, log: undefined });
    expect(resolved).toEqual({ ...FLOWERS_DEFAULTS, dataset: 'd', cache: 'runs/flowers/cache' });
    expect(typeof log).toBe('function');
  });

  it('names the field at fault', () => {
    expect(() => resolveFlowersOptions({ dataset: 'd', normalisation: 'mean' as 'preset' })).toThrow(`normalisation must be 'preset' or 'from-cache', got "mean"`);
    expect(() => resolveFlowersOptions({ dataset: 'd', scale: 'huge' as 'full' })).toThrow("scale must be one of full, tiny, got 'huge'");
    expect(() => resolveFlowersOptions({ dataset: 'd', batchSize: 0 })).toThrow('batchSize must be a positive integer, got 0');
    expect(() => resolveFlowersOptions({ dataset: 'd', timeBudget: -1 })).toThrow('timeBudget must be a number of seconds >= 0, got -1');
  });

  it("takes phase 2/3's offset and std from the cache's statistics when asked", () => {
    const stats = { cacheDir: 'c', suggested: { std: 1.25, offset: 0.4, centredOffset: 0.32, scale: 0.8, scalingFactor: 0.1 } } as CacheStatistics;
    const phases = flowersSchedule({ schedule: 'original', epochs: null, normalisation: 'from-cache', stats });
    expect(phases.map((p) => p.latentNorm)).toEqual([
      { std: 1, offset: 0 },
      { std: 1, offset: 0.4 },
      { std: 1.25, offset: 0.4 }, // the original's convention: the same offset after dividing
    ]);
    expect(phases.map((p) => p.epochs)).toEqual([
      [0, 600],
      [601, 900],
      [901, 1200],
    ]);
    expect(() => flowersSchedule({ schedule: 'as-logged', epochs: 3, normalisation: 'preset' })).toThrow(/number of phases \(4\)/);
  });
});

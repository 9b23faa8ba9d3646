import { describe, expect, it } from 'vitest';
import type { SuggestedNormalisation } from '@dit/data';
import { CliError } from '../errors.js';
import { resolveTrainSchedule } from './train-schedule.js';

// A cache whose latents have mean 0.5 and std 2.
const suggested: SuggestedNormalisation = { std: 2, offset: -0.5, centredOffset: -0.25, scale: 0.5, scalingFactor: 0.065125 };
const statistics = async () => suggested;
const norms = async (latentNorm?: 'schedule' | 'cache' | 'cache-centred') =>
  (await resolveTrainSchedule({ schedule: 'original', latentNorm }, statistics)).map((phase) => phase.latentNorm);

describe('resolveTrainSchedule --latent-norm', () => {
  it("'schedule' keeps the original's numbers (SPEC section 6)", async () => {
    expect(await norms()).toEqual([{ std: 1, offset: 0 }, { std: 1, offset: 0.3077 }, { std: 1.1908, offset: 0.3077 }]);
  });

  it("'cache' follows the original's convention with this cache's statistics: the same offset (-mean) after dividing", async () => {
    expect(await norms('cache')).toEqual([{ std: 1, offset: 0 }, { std: 1, offset: -0.5 }, { std: 2, offset: -0.5 }]);
  });

  it("'cache-centred' makes the phase that divides exactly zero-mean: latent / std - mean / std", async () => {
    const [, phase2, phase3] = await norms('cache-centred');
    expect(phase2).toEqual({ std: 1, offset: -0.5 });
    expect(phase3).toEqual({ std: 2, offset: -0.25 });
    expect(0.5 / phase3!.std + phase3!.offset).toBe(0);
  });

  it('names the flag and the accepted modes for an unknown mode', async () => {
    const bad = resolveTrainSchedule({ schedule: 'original', latentNorm: 'mean' as 'cache' }, statistics);
    await expect(bad).rejects.toBeInstanceOf(CliError);
    await expect(bad).rejects.toThrow("--latent-norm: expected one of schedule, cache, cache-centred, got 'mean'");
  });
});

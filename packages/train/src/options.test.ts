import { SingleStreamDiTV2 } from '@dit/model';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveTrainOptions, TRAIN_DEFAULTS, type TrainOptions } from './options.js';
import { scaleSchedule, originalSchedule } from './phases.js';
import { flowerDataset, TINY_PIXEL_CONFIG } from './test-support/flowers.js';

const model = new SingleStreamDiTV2({ ...TINY_PIXEL_CONFIG, seed: 1 });
const dataset = await flowerDataset({ size: 16, count: 2 });
afterAll(() => model.dispose());

const options = (extra: Record<string, unknown>): TrainOptions =>
  ({ model, dataset, schedule: scaleSchedule(originalSchedule, { epochs: 3 }), outputDir: '/tmp/unused', ...extra }) as TrainOptions;

describe('resolveTrainOptions', () => {
  it('fills every default for options not given', () => {
    const resolved = resolveTrainOptions(options({}));
    expect(resolved.resumeFallback).toBe(TRAIN_DEFAULTS.resumeFallback);
    expect(resolved.startOver).toBe(TRAIN_DEFAULTS.startOver);
    expect(resolved.batchSize).toBe(TRAIN_DEFAULTS.batchSize);
  });

  it('names the field and the value at fault', () => {
    expect(() => resolveTrainOptions(options({ batchSize: 0 }))).toThrow('batchSize must be a positive integer, got 0');
    expect(() => resolveTrainOptions(options({ maxGradNorm: -1 }))).toThrow('maxGradNorm must be a finite number > 0 or null, got -1');
    expect(() => resolveTrainOptions(options({ nonFinite: 'ignore' }))).toThrow(`nonFinite must be 'stop' or 'skip', got "ignore"`);
  });

  // null is not "not given": a null flag would otherwise turn silently into the default.
  it('refuses null for the boolean switches instead of taking the default', () => {
    expect(() => resolveTrainOptions(options({ resumeFallback: null }))).toThrow('resumeFallback must be true or false, got null');
    expect(() => resolveTrainOptions(options({ startOver: null }))).toThrow('startOver must be true or false, got null');
  });
});

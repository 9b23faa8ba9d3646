// Type tests (vitest typecheck mode): the public option types of `train`.
import { describe, expectTypeOf, it } from 'vitest';
import type { ImageAutoencoder } from '@dit/encoders';
import type { SingleStreamDiTV2 } from '@dit/model';
import type { SamplingDefaults } from '@dit/pipeline';
import { originalSchedule, train, TRAIN_DEFAULTS, VALIDATION_DEFAULTS, type FinalPipelineOptions, type TrainOptions, type TrainResult, type TrainingDataset, type ValidationOptions } from './index.js';

declare const model: SingleStreamDiTV2;
declare const dataset: TrainingDataset;
declare const autoencoder: ImageAutoencoder;
const required = { model, dataset, schedule: originalSchedule, outputDir: 'runs/x' };

describe('train options', () => {
  it('need a model, a dataset, a schedule and an output folder; the rest is optional', () => {
    expectTypeOf(train).parameter(0).toEqualTypeOf<TrainOptions>();
    expectTypeOf(train(required)).toEqualTypeOf<Promise<TrainResult>>();
    // @ts-expect-error outputDir is required
    void train({ model, dataset, schedule: originalSchedule });
    // @ts-expect-error a dataset is a TrainingDataset (a CachedDataset), not a folder
    void train({ ...required, dataset: 'cache/' });
  });

  it('type each option: resume, validation, non-finite policy, optimiser, memory budget', () => {
    expectTypeOf<TrainOptions['resume']>().toEqualTypeOf<boolean | string | undefined>();
    expectTypeOf<TrainOptions['validation']>().toEqualTypeOf<ValidationOptions | false | undefined>();
    expectTypeOf<TrainOptions['nonFinite']>().toEqualTypeOf<'stop' | 'skip' | undefined>();
    expectTypeOf<TrainOptions['memoryBudget']>().toEqualTypeOf<string | number | undefined>();
    expectTypeOf<TrainOptions['maxGradNorm']>().toEqualTypeOf<number | null | undefined>();
    void train({ ...required, resume: 'runs/x/checkpoints/epoch-0010-step-0000240', validation: { autoencoder, every: 5 }, optimizer: { kind: 'adamw-8bit' } });
    // @ts-expect-error validation samples need an autoencoder
    void train({ ...required, validation: { every: 5 } });
    // @ts-expect-error only 'stop' or 'skip'
    void train({ ...required, nonFinite: 'ignore' });
    // @ts-expect-error only the two optimisers
    void train({ ...required, optimizer: { kind: 'sgd' } });
  });

  it('say what final/pipeline.json records with specs and the pipeline sampling settings', () => {
    expectTypeOf<TrainOptions['pipeline']>().toEqualTypeOf<FinalPipelineOptions | undefined>();
    expectTypeOf<FinalPipelineOptions['textEncoder']>().toEqualTypeOf<string | null | undefined>();
    expectTypeOf<FinalPipelineOptions['sampling']>().toEqualTypeOf<Partial<SamplingDefaults> | undefined>();
    void train({ ...required, pipeline: { textEncoder: 'google/t5gemma-2-1b-1b', autoencoder: 'pixel:4', sampling: { steps: 30, sampler: 'euler' } } });
    // @ts-expect-error a part is recorded as a spec, not as the loaded object
    void train({ ...required, pipeline: { autoencoder } });
    // @ts-expect-error sampling settings are the pipeline's (guidanceScale, not cfg)
    void train({ ...required, pipeline: { sampling: { cfg: 2 } } });
  });

  it('have their defaults beside the type, and a result that says how the run ended', () => {
    expectTypeOf(TRAIN_DEFAULTS.batchSize).toEqualTypeOf<8>();
    expectTypeOf(TRAIN_DEFAULTS.nonFinite).toEqualTypeOf<'stop'>();
    expectTypeOf(VALIDATION_DEFAULTS.sampler).toEqualTypeOf<'euler'>();
    expectTypeOf<TrainResult['status']>().toEqualTypeOf<'completed' | 'interrupted'>();
    expectTypeOf<TrainResult['finalDir']>().toEqualTypeOf<string | null>();
  });
});

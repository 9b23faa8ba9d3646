// Type tests (vitest typecheck mode): the public option types of the pipeline.
import type * as tf from '@tensorflow/tfjs-core';
import { describe, expectTypeOf, it } from 'vitest';
import type { RgbImage } from '@dit/data';
import type { ImageAutoencoder, TextEncoder } from '@dit/encoders';
import type { SingleStreamDiTV2 } from '@dit/model';
import { euler, type CfgMode, type Sampler } from '@dit/samplers';
import {
  DiTPipeline,
  GENERATE_DEFAULTS,
  SAMPLING_DEFAULTS,
  type DiTPipelineParts,
  type FromPretrainedOptions,
  type GenerateOptions,
  type GenerateResult,
  type GenerateStepInfo,
  type PipelinePart,
  type SamplingDefaults,
} from './index.js';

declare const pipe: DiTPipeline;
declare const model: SingleStreamDiTV2;
declare const textEncoder: TextEncoder;
declare const autoencoder: ImageAutoencoder;
declare const embeddings: tf.Tensor3D;

describe('DiTPipeline.generate options', () => {
  it('are all optional, and generate returns images and, on request, latents', () => {
    expectTypeOf(pipe.generate).parameter(0).toEqualTypeOf<GenerateOptions | undefined>();
    expectTypeOf(pipe.generate({ prompt: 'a rose' })).toEqualTypeOf<Promise<GenerateResult>>();
    expectTypeOf<GenerateResult['images']>().toEqualTypeOf<RgbImage[]>();
    expectTypeOf<GenerateResult['latents']>().toEqualTypeOf<tf.Tensor4D | undefined>();
  });

  it('take one prompt or several, or embeddings, and a sampler by name or as an object', () => {
    expectTypeOf<GenerateOptions['prompt']>().toEqualTypeOf<string | readonly string[] | undefined>();
    expectTypeOf<GenerateOptions['sampler']>().toEqualTypeOf<string | Sampler | undefined>();
    expectTypeOf<GenerateOptions['cfgMode']>().toEqualTypeOf<CfgMode | undefined>();
    void pipe.generate({ prompt: ['a rose', 'a lily'] as const, negativePrompt: 'blurry', sampler: euler, guidanceScale: 2, seed: 1, numImagesPerPrompt: 4 });
    void pipe.generate({ promptEmbeds: embeddings, negativePromptEmbeds: embeddings, width: 512, height: 384 });
    // @ts-expect-error sizes are numbers of pixels
    void pipe.generate({ prompt: 'a rose', width: '512' });
    // @ts-expect-error guidanceScale, not the command line's cfg
    void pipe.generate({ prompt: 'a rose', cfg: 2 });
    // @ts-expect-error only the two CFG modes
    void pipe.generate({ prompt: 'a rose', cfgMode: 'both' });
  });

  it('report progress with typed callbacks', () => {
    expectTypeOf<GenerateStepInfo>().toEqualTypeOf<{ promptIndex: number; prompts: number; step: number; steps: number; t: number; latents: tf.Tensor }>();
    void pipe.generate({ prompt: 'a rose', onStep: async ({ step, steps }) => void (step / steps), onImage: ({ image, seed }) => void [image.width, seed] });
    // @ts-expect-error onStep gets one info object
    void pipe.generate({ prompt: 'a rose', onStep: (step: number) => step });
  });

  it('have their defaults beside the type, as literal values', () => {
    expectTypeOf(GENERATE_DEFAULTS.steps).toEqualTypeOf<50>();
    expectTypeOf(GENERATE_DEFAULTS.sampler).toEqualTypeOf<'rk4'>();
    expectTypeOf(GENERATE_DEFAULTS.numImagesPerPrompt).toEqualTypeOf<1>();
    expectTypeOf(SAMPLING_DEFAULTS).toExtend<SamplingDefaults>();
    expectTypeOf(pipe.sampling).toEqualTypeOf<Readonly<SamplingDefaults>>();
  });
});

describe('DiTPipeline parts and fromPretrained options', () => {
  it('need only a model; every other part can be swapped or left out', () => {
    expectTypeOf<DiTPipelineParts['model']>().toEqualTypeOf<SingleStreamDiTV2>();
    expectTypeOf<DiTPipelineParts['textEncoder']>().toEqualTypeOf<TextEncoder | null | undefined>();
    expectTypeOf<DiTPipelineParts['owned']>().toEqualTypeOf<readonly PipelinePart[] | undefined>();
    void new DiTPipeline({ model });
    void new DiTPipeline({ model, textEncoder, autoencoder, latentNormalization: { std: 1.19 }, sampling: { steps: 30 }, owned: ['model'] });
    // @ts-expect-error a model is required
    void new DiTPipeline({ textEncoder, autoencoder });
    // @ts-expect-error only the pipeline's parts can be owned
    void new DiTPipeline({ model, owned: ['sampler'] });
  });

  it('replace what a folder records with specs, your own parts or null', () => {
    expectTypeOf<FromPretrainedOptions['textEncoder']>().toEqualTypeOf<string | TextEncoder | null | undefined>();
    expectTypeOf<FromPretrainedOptions['autoencoder']>().toEqualTypeOf<string | ImageAutoencoder | null | undefined>();
    expectTypeOf(DiTPipeline.fromPretrained('runs/x/final', { textEncoder: null, autoencoder: 'pixel:4', weights: 'ema.safetensors' })).toEqualTypeOf<Promise<DiTPipeline>>();
    // @ts-expect-error sampling settings are checked too
    void DiTPipeline.fromPretrained('runs/x/final', { sampling: { sampler: euler } });
  });
});

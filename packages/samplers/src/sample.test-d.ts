// Type tests (vitest typecheck mode): the public option types of `sample`.
import type * as tf from '@tensorflow/tfjs-core';
import { describe, expectTypeOf, it } from 'vitest';
import { defineSampler, euler, sample, SAMPLE_DEFAULTS, type CfgMode, type Sampler, type SampleOptions, type SampleStepInfo } from './index.js';

declare const noise: tf.Tensor;
declare const cond: tf.Tensor;
const velocity = (x: tf.Tensor) => x;

describe('sample options', () => {
  it('needs the velocity, the noise and the text; everything else is optional', () => {
    expectTypeOf<SampleOptions>().toHaveProperty('velocity');
    expectTypeOf(sample).parameter(0).toEqualTypeOf<SampleOptions>();
    expectTypeOf(sample({ velocity, noise, cond })).toEqualTypeOf<Promise<tf.Tensor>>();
    // @ts-expect-error noise is required
    void sample({ velocity, cond });
    // @ts-expect-error cond is required
    void sample({ velocity, noise });
  });

  it('takes a sampler by name or as an object, and only the two CFG modes', () => {
    expectTypeOf<SampleOptions['sampler']>().toEqualTypeOf<Sampler | string | undefined>();
    expectTypeOf(euler).toExtend<Sampler>();
    expectTypeOf(defineSampler({ name: 'mine', order: 1, step: ({ x }) => x })).toEqualTypeOf<Sampler>();
    expectTypeOf<CfgMode>().toEqualTypeOf<'batched' | 'separate'>();
    // @ts-expect-error an unknown CFG mode
    void sample({ velocity, noise, cond, cfgMode: 'both' });
    // @ts-expect-error a sampler is a name or an object, not an index
    void sample({ velocity, noise, cond, sampler: 2 });
    // @ts-expect-error steps is a number
    void sample({ velocity, noise, cond, steps: '50' });
  });

  it('tells onStep the step, the time and the state, and may be awaited', () => {
    expectTypeOf<SampleStepInfo>().toEqualTypeOf<{ step: number; steps: number; t: number; x: tf.Tensor }>();
    void sample({ velocity, noise, cond, onStep: async ({ step, t }) => void (step + t) });
    // @ts-expect-error the callback gets one info object
    void sample({ velocity, noise, cond, onStep: (step: number, steps: number) => step + steps });
  });

  it('has its defaults beside the type, as literal values', () => {
    expectTypeOf(SAMPLE_DEFAULTS.sampler).toEqualTypeOf<'rk4'>();
    expectTypeOf(SAMPLE_DEFAULTS.cfgMode).toExtend<CfgMode>();
    expectTypeOf(SAMPLE_DEFAULTS).toExtend<Required<Pick<SampleOptions, 'steps' | 'guidanceScale' | 'cfgMode' | 'shift'>>>();
  });
});

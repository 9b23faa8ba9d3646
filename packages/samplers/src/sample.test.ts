import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_SAMPLERS, createNoise, defineSampler, sample, type VelocityFn } from './index.js';

/** A text-conditioned field: v = mean_L(text) summed over features - x/2, broadcast over x [B, C]. */
const textVelocity: VelocityFn = (x, t, text) =>
  tf.tidy(() => {
    const pull = tf.sum(tf.mean(text, 1), 1, true);
    return tf.add(tf.sub(tf.mul(pull, tf.reshape(tf.add(t, 1), [-1, 1])), tf.mul(x, 0.5)), tf.zerosLike(x));
  });

function counting(velocity: VelocityFn) {
  const batches: number[] = [];
  const wrapped: VelocityFn = (x, t, text) => {
    batches.push(x.shape[0]);
    return velocity(x, t, text);
  };
  return { wrapped, batches };
}

describe('sample', () => {
  it('keeps the tensor count constant across a 50-step run and leaves only its result', async () => {
    const noise = createNoise({ shape: [2, 3], seed: 1 });
    const cond = tf.randomNormal([2, 4, 5], 0, 1, 'float32', 2);
    for (const sampler of BUILT_IN_SAMPLERS) {
      for (const cfgMode of ['batched', 'separate'] as const) {
        const before = tf.memory().numTensors;
        const counts: number[] = [];
        const x = await sample({ velocity: textVelocity, noise, cond, sampler, steps: 50, guidanceScale: 2, cfgMode, onStep: () => void counts.push(tf.memory().numTensors) });
        expect(counts, `${sampler.name} ${cfgMode}`).toHaveLength(50);
        expect(new Set(counts).size, `${sampler.name} ${cfgMode}: ${[...new Set(counts)].join(', ')}`).toBe(1);
        expect(tf.memory().numTensors).toBe(before + 1);
        x.dispose();
      }
    }
    tf.dispose([noise, cond]);
  });

  it('batched and separate CFG agree, and guidance follows v_u + w (v_c - v_u)', async () => {
    const noise = createNoise({ shape: [3, 2], seed: 3 });
    const cond = tf.randomNormal([3, 4, 5], 0, 1, 'float32', 4);
    const options = { velocity: textVelocity, noise, cond, steps: 10, sampler: 'heun', guidanceScale: 2.5 } as const;
    const batched = await sample({ ...options, cfgMode: 'batched' });
    const separate = await sample({ ...options, cfgMode: 'separate' });
    expect(tf.max(tf.abs(tf.sub(batched, separate))).dataSync()[0]).toBeLessThan(1e-6);
    // The field is affine in text, so guidance equals conditioning on uncond + w (cond - uncond) = w cond.
    const scaledCond = tf.mul(cond, 2.5);
    const equivalent = await sample({ ...options, cond: scaledCond, guidanceScale: 1 });
    expect(tf.max(tf.abs(tf.sub(batched, equivalent))).dataSync()[0]).toBeLessThan(1e-5);
    tf.dispose([noise, cond, batched, separate, scaledCond, equivalent]);
  });

  it('batches [uncond; cond] in one call, runs two calls when separate, one when guidanceScale is 1', async () => {
    const noise = createNoise({ shape: [2, 3], seed: 5 });
    const cond = tf.ones([2, 1, 3]);
    const batched = counting(textVelocity);
    tf.dispose(await sample({ velocity: batched.wrapped, noise, cond, steps: 3, sampler: 'euler', guidanceScale: 1.5 }));
    expect(batched.batches).toEqual([4, 4, 4]);
    const separate = counting(textVelocity);
    tf.dispose(await sample({ velocity: separate.wrapped, noise, cond, steps: 3, sampler: 'euler', guidanceScale: 1.5, cfgMode: 'separate' }));
    expect(separate.batches).toEqual([2, 2, 2, 2, 2, 2]);
    const unguided = counting(textVelocity);
    tf.dispose(await sample({ velocity: unguided.wrapped, noise, cond, steps: 3, sampler: 'rk4', guidanceScale: 1 }));
    expect(unguided.batches).toEqual(new Array(12).fill(2));
    tf.dispose([noise, cond]);
  });

  it('passes all-zero text as the default uncond, first in the batch', async () => {
    const noise = tf.zeros([1, 2]);
    const cond = tf.ones([1, 2, 2]);
    const texts: number[][][][] = [];
    const recording: VelocityFn = (x, t, text) => {
      texts.push(text.arraySync() as number[][][]);
      return tf.zerosLike(x);
    };
    tf.dispose(await sample({ velocity: recording, noise, cond, steps: 1, sampler: 'euler', guidanceScale: 3 }));
    expect(texts[0]).toEqual([[[0, 0], [0, 0]], [[1, 1], [1, 1]]]);
    tf.dispose([noise, cond]);
  });

  it('repeats a batch-1 prompt over the batch', async () => {
    const noise = createNoise({ shape: [3, 2], seed: 6 });
    const single = tf.randomNormal([1, 4, 5], 0, 1, 'float32', 7);
    const repeated = tf.tile(single, [3, 1, 1]);
    const fromSingle = await sample({ velocity: textVelocity, noise, cond: single, steps: 4, sampler: 'midpoint' });
    const fromRepeated = await sample({ velocity: textVelocity, noise, cond: repeated, steps: 4, sampler: 'midpoint' });
    expect(tf.max(tf.abs(tf.sub(fromSingle, fromRepeated))).dataSync()[0]).toBe(0);
    tf.dispose([noise, single, repeated, fromSingle, fromRepeated]);
  });

  it('reports every step with the time reached, and passes the velocity t as a [B] tensor', async () => {
    const noise = createNoise({ shape: [2, 2], seed: 8 });
    const cond = tf.zeros([2, 1]);
    const seenTimes: number[][] = [];
    const velocity: VelocityFn = (x, t) => {
      expect(t.shape).toEqual([2]);
      seenTimes.push(Array.from(t.dataSync()));
      return tf.zerosLike(x);
    };
    const steps: Array<{ step: number; t: number }> = [];
    tf.dispose(await sample({ velocity, noise, cond, steps: 4, sampler: 'euler', guidanceScale: 1, onStep: ({ step, t }) => void steps.push({ step, t }) }));
    expect(steps).toEqual([{ step: 1, t: 0.25 }, { step: 2, t: 0.5 }, { step: 3, t: 0.75 }, { step: 4, t: 1 }]);
    expect(seenTimes).toEqual([[0, 0], [0.25, 0.25], [0.5, 0.5], [0.75, 0.75]]);
    tf.dispose([noise, cond]);
  });

  it('stops on an abort signal between steps and frees everything', async () => {
    const noise = createNoise({ shape: [2, 2], seed: 9 });
    const cond = tf.zeros([2, 1, 1]);
    const controller = new AbortController();
    const before = tf.memory().numTensors;
    let stepsRun = 0;
    const run = sample({
      velocity: textVelocity,
      noise,
      cond,
      steps: 50,
      sampler: 'dpm-solver++2m',
      signal: controller.signal,
      onStep: ({ step }) => {
        stepsRun = step;
        if (step === 5) controller.abort(new Error('stop here'));
      },
    });
    await expect(run).rejects.toThrow('stop here');
    expect(stepsRun).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    await expect(sample({ velocity: textVelocity, noise, cond, signal: controller.signal })).rejects.toThrow('stop here');
    tf.dispose([noise, cond]);
  });

  it('never returns or disposes the caller noise, even when a step returns x unchanged', async () => {
    const noise = tf.tensor2d([[1, 2]]);
    const cond = tf.zeros([1, 1]);
    const identity = defineSampler({ name: 'identity', order: 1, step: ({ x }) => x });
    const x = await sample({ velocity: textVelocity, noise, cond, sampler: identity, steps: 3, guidanceScale: 1 });
    expect(x).not.toBe(noise);
    expect(noise.isDisposed).toBe(false);
    expect(x.arraySync()).toEqual([[1, 2]]);
    tf.dispose([noise, cond, x]);
  });

  it('keeps a state that a sampler also stores in memory', async () => {
    const noise = tf.tensor2d([[1, 2]]);
    const cond = tf.zeros([1, 1]);
    const remembering = defineSampler({
      name: 'remembering',
      order: 1,
      step: ({ x, memory }) => {
        const next = tf.add(x, 1);
        memory.set('last', next);
        return next;
      },
    });
    const x = await sample({ velocity: textVelocity, noise, cond, sampler: remembering, steps: 3, guidanceScale: 1 });
    expect(x.arraySync()).toEqual([[4, 5]]);
    tf.dispose([noise, cond, x]);
  });

  it('lets a sampler keep its input state in memory, without leaks or touching the noise', async () => {
    const noise = tf.tensor2d([[1, 2]]);
    const cond = tf.zeros([1, 1]);
    const keepsInput = defineSampler({
      name: 'keeps-input',
      order: 1,
      step: ({ x, memory }) => {
        const previous = memory.get('input');
        memory.set('input', x);
        return previous ? tf.add(x, tf.sub(x, previous)) : tf.add(x, 1);
      },
    });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const x = await sample({ velocity: textVelocity, noise, cond, sampler: keepsInput, steps: 6, guidanceScale: 1, onStep: () => void counts.push(tf.memory().numTensors) });
    expect(x.arraySync()).toEqual([[7, 8]]);
    expect(noise.isDisposed).toBe(false);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([noise, cond, x]);
  });

  it('rejects a step that returns another shape, naming the sampler', async () => {
    const noise = tf.zeros([2, 3]);
    const cond = tf.zeros([2, 1]);
    const broken = defineSampler({ name: 'broken', order: 1, step: ({ x }) => tf.sum(x, 1) });
    const before = tf.memory().numTensors;
    await expect(sample({ velocity: textVelocity, noise, cond, sampler: broken, steps: 2, guidanceScale: 1 })).rejects.toThrow(
      /sampler 'broken': step 0 returned \[2\] for x \[2, 3\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([noise, cond]);
  });

  it('names the option at fault', async () => {
    const noise = tf.zeros([2, 3]);
    const cond = tf.zeros([2, 4]);
    await expect(sample({ velocity: textVelocity, noise, cond, sampler: 'nope' })).rejects.toThrow(/unknown sampler 'nope'; registered samplers: euler, midpoint, heun, rk4, rk4-original, dpm-solver\+\+2m/);
    await expect(sample({ velocity: textVelocity, noise, cond: tf.zeros([3, 4]) })).rejects.toThrow(/cond has batch 3, but the noise has batch 2/);
    await expect(sample({ velocity: textVelocity, noise, cond, uncond: tf.zeros([2, 5]) })).rejects.toThrow(/uncond \[2, 5\] must have the shape of cond \[2, 4\]/);
    await expect(sample({ velocity: (x) => tf.zeros([x.shape[0], 7]), noise, cond, guidanceScale: 1 })).rejects.toThrow(/velocity returned \[2, 7\] for x \[2, 3\]/);
    await expect(sample({ velocity: textVelocity, noise, cond, steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
    await expect(sample({ velocity: textVelocity, noise, cond, cfgMode: 'twice' as never })).rejects.toThrow(/cfgMode must be 'batched' or 'separate'/);
    await expect(sample({ velocity: textVelocity, noise, cond, guidanceScale: Number.NaN })).rejects.toThrow(/guidanceScale must be a finite number/);
    tf.dispose([noise, cond]);
  });
});

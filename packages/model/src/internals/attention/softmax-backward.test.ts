import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../test-helpers.js';
import { softmaxBackward } from './softmax-backward.js';

describe('softmaxBackward', () => {
  it("matches tfjs' own gradient of softmax", async () => {
    const scores = tf.randomNormal([6, 9], 0, 1, 'float32', 7);
    const dProbabilities = tf.randomNormal([6, 9], 0, 1, 'float32', 8) as tf.Tensor2D;
    const reference = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(tf.softmax(input), dProbabilities)))(scores);
    const probabilities = tf.softmax(scores) as tf.Tensor2D;
    const mine = softmaxBackward(probabilities, dProbabilities);
    expect(maxAbsDiff(await mine.data(), await reference.data())).toBeLessThan(1e-6);
    tf.dispose([scores, dProbabilities, reference, probabilities, mine]);
  });
});

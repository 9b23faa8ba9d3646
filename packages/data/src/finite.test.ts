import { describe, expect, it } from 'vitest';
import { countNonFinite, describeNonFiniteArrays } from './finite.js';

describe('countNonFinite', () => {
  it('counts NaN, +Inf and -Inf and finds the first', () => {
    expect(countNonFinite(new Float32Array([0, 1e38, -3, Number.MIN_VALUE]))).toBeNull();
    expect(countNonFinite(new Float32Array([1, Number.NaN, Infinity, -Infinity, Number.NaN]))).toEqual({ nan: 2, positiveInfinity: 1, negativeInfinity: 1, firstIndex: 1 });
  });

  it('describes every array that is not finite, by name', () => {
    expect(describeNonFiniteArrays([['latents', new Float32Array(4)]])).toBeNull();
    expect(describeNonFiniteArrays([['latents', new Float32Array([0, Number.NaN])], ['text_embeds', new Float32Array([Infinity, 2, -Infinity])]])).toBe(
      'latents hold 1 NaN of 2 values (the first at index 1); text_embeds hold 1 +Inf and 1 -Inf of 3 values (the first at index 0)',
    );
  });
});

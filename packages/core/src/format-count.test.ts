import { describe, expect, it } from 'vitest';
import { formatCount } from './format-count.js';

describe('formatCount', () => {
  it('prints large counts exactly, with the power of two beyond 2^53', () => {
    expect(String(2 ** 60)).toBe('1152921504606847000'); // what the CLI printed before
    expect(formatCount(2 ** 60)).toBe('1,152,921,504,606,846,976 (2^60)');
    expect(formatCount(2n ** 64n)).toBe('18,446,744,073,709,551,616 (2^64)');
    expect(formatCount(2n ** 60n + 1n)).toBe('1,152,921,504,606,846,977');
    expect(formatCount(229_203_984)).toBe('229,203,984');
    expect(formatCount(2 ** 52)).toBe('4,503,599,627,370,496');
    expect(formatCount(0)).toBe('0');
    expect(formatCount(-(2 ** 60))).toBe('-1,152,921,504,606,846,976 (-2^60)');
  });
});

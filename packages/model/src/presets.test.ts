import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config.js';
import { presets } from './presets.js';

describe('presets', () => {
  it('names the original architecture `original` and lists the current names only', () => {
    expect(presets.original).toEqual(DEFAULT_CONFIG);
    expect(Object.keys(presets)).toEqual(['original', 'small', 'tiny']);
  });

  it('keeps `seed` as a deprecated alias of `original`', () => {
    expect(presets.seed).toBe(presets.original);
    expect('seed' in presets).toBe(true);
  });
});

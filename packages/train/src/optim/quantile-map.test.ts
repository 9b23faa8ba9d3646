import { describe, expect, it } from 'vitest';
import { Rng } from '@dit/core';
import { CodeBook, dynamicQuantileMap, nearestCode } from './quantile-map.js';

describe('dynamicQuantileMap', () => {
  it('builds bitsandbytes signed and unsigned maps: 256 sorted codes ending at 1', () => {
    const signed = dynamicQuantileMap({ signed: true });
    const unsigned = dynamicQuantileMap({ signed: false });
    for (const map of [signed, unsigned]) {
      expect(map.length).toBe(256);
      for (let i = 1; i < 256; i++) expect(map[i]).toBeGreaterThanOrEqual(map[i - 1]);
      expect(map[255]).toBe(1);
    }
    // Signed: 127 negative codes from -0.99375 (midpoint of the last decade's top interval), 0, 128 positive.
    expect(signed[0]).toBeCloseTo(-0.99296875, 6);
    expect(signed.filter((v) => v < 0).length).toBe(127);
    expect(signed.filter((v) => v === 0).length).toBe(1);
    // Unsigned: no negatives; the smallest non-zero code is 10^-6 times the first midpoint.
    expect(unsigned.filter((v) => v < 0).length).toBe(0);
    expect(unsigned[1]).toBeCloseTo(1e-6 * (0.1 + 0.9 / 4), 12);
  });

  it('finds the nearest code', () => {
    const map = dynamicQuantileMap({ signed: true });
    for (const x of [-1, -0.5, -1e-4, 0, 3e-7, 0.01, 0.333, 0.9, 1]) {
      const index = nearestCode(map, x);
      let best = 0;
      for (let i = 0; i < 256; i++) if (Math.abs(map[i] - x) < Math.abs(map[best] - x)) best = i;
      expect(Math.abs(map[index] - x)).toBe(Math.abs(map[best] - x));
    }
  });

  it('CodeBook.encode agrees with the binary search everywhere', () => {
    const rng = new Rng('codebook');
    for (const signed of [true, false]) {
      const map = dynamicQuantileMap({ signed });
      const book = new CodeBook(map);
      const probes = [...map, ...map.map((v) => v * (1 + 1e-7)), ...map.map((v) => v * (1 - 1e-7)), 0, 1, -1, 1e-9, -1e-9];
      for (let i = 0; i < 20000; i++) {
        const magnitude = 10 ** (-8 * rng.next());
        probes.push(signed && rng.next() < 0.5 ? -magnitude : magnitude);
      }
      for (let i = 0; i < map.length - 1; i++) probes.push((map[i] + map[i + 1]) / 2);
      const mismatches = probes.filter((x) => (signed || x >= 0) && book.encode(x) !== nearestCode(map, x));
      expect(mismatches).toEqual([]);
    }
  });
});

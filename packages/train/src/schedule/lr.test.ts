import { describe, expect, it } from 'vitest';
import { readFixtureJson } from '../test-support/fixtures.js';
import { learningRateAt, resolveLrSchedule } from './lr.js';

interface Curve {
  name: string;
  kind: string;
  lrStart: number;
  lrEnd: number;
  tMax?: number;
  warmup?: number;
  values: number[];
}

describe('learning-rate schedules against PyTorch (fixtures/lr.json)', () => {
  const { curves } = readFixtureJson<{ curves: Curve[] }>('lr.json');
  const byName = (name: string) => curves.find((c) => c.name === name)!;

  it('matches CosineAnnealingLR over a 601-epoch phase (SPEC phase 1) at every epoch', () => {
    const curve = byName('cosine-601');
    const got = curve.values.map((_, epoch) => learningRateAt({ schedule: [curve.lrStart, curve.lrEnd], index: epoch, length: 601 }));
    for (const epoch of [0, 1, 100, 300, 599, 600]) expect(got[epoch]).toBeCloseTo(curve.values[epoch], 15);
    expect(Math.max(...got.map((v, i) => Math.abs(v - curve.values[i])))).toBeLessThan(1e-17);
  });

  it('matches CosineAnnealingLR with an explicit tMax shorter than the phase', () => {
    const curve = byName('cosine-300-of-301');
    const schedule = { kind: 'cosine', start: curve.lrStart, end: curve.lrEnd, tMax: 300 } as const;
    const got = curve.values.map((_, epoch) => learningRateAt({ schedule, index: epoch, length: 301 }));
    expect(Math.max(...got.map((v, i) => Math.abs(v - curve.values[i])))).toBeLessThan(1e-17);
    expect(got[300]).toBe(1e-5);
  });

  it('matches LinearLR warmup chained before CosineAnnealingLR (SequentialLR)', () => {
    const curve = byName('warmup-5-cosine-50');
    const schedule = { kind: 'cosine', start: curve.lrStart, end: curve.lrEnd, warmup: 5, unit: 'step' } as const;
    const got = curve.values.map((_, k) => learningRateAt({ schedule, index: k, length: 50 }));
    [2e-4, 4e-4, 6e-4, 8e-4, 1e-3, 1e-3].forEach((expected, k) => expect(got[k]).toBeCloseTo(expected, 15));
    expect(Math.max(...got.map((v, i) => Math.abs(v - curve.values[i])))).toBeLessThan(1e-17);
  });

  it('reproduces the LR column of the original log at epoch starts', () => {
    // Values from the original's flowers_log.csv: phase 1b (epochs 301-600, T_max 300,
    // 1e-4 -> 1e-5), phase 2 (601-900, 5e-5 -> 1e-5) and phase 3 (901-1200, same).
    const original = (epoch: number, start: number, from: number) =>
      learningRateAt({ schedule: { kind: 'cosine', start, end: 1e-5, tMax: 300 }, index: epoch - from, length: 300 });
    expect(original(302, 1e-4, 301)).toBeCloseTo(9.999753262144806e-5, 17);
    expect(original(450, 1e-4, 301)).toBeCloseTo(5.547123028523116e-5, 17);
    expect(original(750, 5e-5, 601)).toBeCloseTo(3.020943568232501e-5, 17);
    expect(original(1199, 5e-5, 901)).toBeCloseTo(1.000438633050309e-5, 17);
  });

  it('keeps constant rates constant after warmup', () => {
    expect([0, 1, 2, 3, 9].map((k) => learningRateAt({ schedule: { kind: 'constant', lr: 1e-3, warmup: 2 }, index: k, length: 10 }))).toEqual([
      5e-4, 1e-3, 1e-3, 1e-3, 1e-3,
    ]);
  });

  it('names the field at fault', () => {
    expect(() => resolveLrSchedule([1e-4, -1])).toThrow(/lr\[1\]/);
    expect(() => resolveLrSchedule({ kind: 'cosine', start: 1, end: 0, tMax: 0 })).toThrow(/lr\.tMax/);
    expect(() => resolveLrSchedule({ kind: 'constant', lr: 1, warmup: 1.5 })).toThrow(/lr\.warmup/);
    expect(() => resolveLrSchedule({ kind: 'linear' } as never)).toThrow(/lr\.kind/);
    expect(() => learningRateAt({ schedule: 1, index: -1, length: 3 })).toThrow(/index/);
  });
});

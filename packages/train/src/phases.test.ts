import { describe, expect, it } from 'vitest';
import { originalSchedule, originalScheduleAsLogged, phaseIndexAt, scaleSchedule, validateSchedule, type Phase } from './phases.js';
import { learningRateAt } from './schedule/lr.js';

const lrAt = (schedule: readonly Phase[], epoch: number) => {
  const phase = schedule[phaseIndexAt(schedule, epoch)];
  return learningRateAt({ schedule: phase.lr, index: epoch - phase.epochs[0], length: phase.epochs[1] - phase.epochs[0] + 1 });
};

describe('phases', () => {
  it('originalSchedule is SPEC section 6', () => {
    validateSchedule(originalSchedule);
    expect(originalSchedule.map((p) => [p.epochs, p.loss, p.flip, p.ema, p.textDropout])).toEqual([
      [[0, 600], 'mse', true, false, 0.25],
      [[601, 900], 'l1', false, false, 0.1],
      [[901, 1200], 'l1', false, 0.999, 0.1],
    ]);
    expect(originalSchedule.map((p) => p.latentNorm)).toEqual([
      { std: 1, offset: 0 },
      { std: 1, offset: 0.3077 },
      { std: 1.1908, offset: 0.3077 },
    ]);
    expect(lrAt(originalSchedule, 0)).toBe(1e-4);
    expect(lrAt(originalSchedule, 601)).toBe(5e-5);
    expect(lrAt(originalSchedule, 900)).toBeCloseTo(2e-5, 8);
    expect(lrAt(originalSchedule, 1200)).toBeCloseTo(1e-5, 8);
  });

  it('originalScheduleAsLogged reproduces the LR column of the original log', () => {
    validateSchedule(originalScheduleAsLogged);
    // Epoch -> LR as flowers_log.csv records it.
    const logged: [number, number][] = [
      [0, 0.0002],
      [1, 0.00019999479108972367],
      [100, 0.00015250000000000002],
      [299, 1.0005208910276348e-5],
      [300, 1e-5],
      [301, 0.0001],
      [302, 9.999753262144806e-5],
      [600, 1.0002467378551954e-5],
      [601, 5e-5],
      [899, 1.000438633050309e-5],
      [901, 5e-5],
      [1050, 3.020943568232501e-5],
      [1200, 1.0001096612689758e-5],
    ];
    for (const [epoch, lr] of logged) expect(lrAt(originalScheduleAsLogged, epoch), `epoch ${epoch}`).toBeCloseTo(lr, 15);
  });

  it('scaleSchedule keeps every phase and its share', () => {
    const small = scaleSchedule(originalSchedule, { epochs: 6 });
    validateSchedule(small);
    expect(small.map((p) => p.epochs)).toEqual([[0, 2], [3, 4], [5, 5]]);
    expect(small.map((p) => p.name)).toEqual(originalSchedule.map((p) => p.name));
    expect(scaleSchedule(originalSchedule, { epochs: 3 }).map((p) => p.epochs)).toEqual([[0, 0], [1, 1], [2, 2]]);
    const logged = scaleSchedule(originalScheduleAsLogged, { epochs: 12 });
    expect(logged.map((p) => p.epochs)).toEqual([[0, 2], [3, 5], [6, 8], [9, 11]]);
    expect(logged.map((p) => (typeof p.lr === 'object' && !Array.isArray(p.lr) && p.lr.kind === 'cosine' ? p.lr.tMax : 0))).toEqual([3, 3, 3, 3]);
    expect(() => scaleSchedule(originalSchedule, { epochs: 2 })).toThrow(/epochs/);
  });

  it('validateSchedule names the phase and field at fault', () => {
    const base = originalSchedule.map((p) => ({ ...p }));
    expect(() => validateSchedule([base[0], { ...base[1], epochs: [602, 900] }])).toThrow(/schedule\[1\]\.epochs must start at 601/);
    expect(() => validateSchedule([{ ...base[0], textDropout: 2 }])).toThrow(/schedule\[0\]\.textDropout/);
    expect(() => validateSchedule([{ ...base[0], lr: [1e-4, -1] }])).toThrow(/schedule\[0\]\.lr\[1\]/);
    expect(() => validateSchedule([base[0], { ...base[1], name: base[0].name }])).toThrow(/schedule\[1\]\.name/);
    expect(() => validateSchedule([{ ...base[0], latentNorm: { std: 0 } }])).toThrow(/latentNorm\.std/);
    expect(() => validateSchedule([{ ...base[0], ema: 2 }])).toThrow(/schedule\[0\]\.ema/);
    expect(phaseIndexAt(originalSchedule, 1201)).toBe(-1);
  });
});

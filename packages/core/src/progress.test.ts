import { describe, expect, it } from 'vitest';
import { ExponentialAverage, formatDuration, Progress } from './progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (chunk: string) => (chunks.push(chunk), true) } };
}

describe('Progress', () => {
  it('prints plain periodic lines with count, percent, smoothed rate, ETA and the extra text', () => {
    const { chunks, stream } = sink(false);
    const progress = new Progress('mse-flip | epoch 0 | step', 4, { stream, everyMs: 60_000, unit: 'step' });
    progress.tick(1, '| loss 2.0000', 2);
    progress.tick(1, '| loss 1.5000', 4);
    progress.label = 'mse-flip | epoch 1 | step';
    progress.tick(2, '| loss 1.0000', 2);
    // First line at once, the second within everyMs is held back, the last always printed.
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe('mse-flip | epoch 0 | step 1/4 (25%) 0.50 step/s ETA 6s | loss 2.0000\n');
    // Rates 0.5, 0.25, 1 step/s, smoothed: (0.1*0.5*0.81 + 0.1*0.25*0.9 + 0.1*1) / (0.081 + 0.09 + 0.1).
    const rate = (0.0405 + 0.0225 + 0.1) / 0.271;
    expect(progress.rate).toBeCloseTo(rate, 10);
    expect(chunks[1]).toBe(`mse-flip | epoch 1 | step 4/4 (100%) ${rate.toFixed(2)} step/s ETA 0s | loss 1.0000\n`);
  });

  it('redraws one line on a terminal, ends it when done, and break() ends an unfinished one', () => {
    const { chunks, stream } = sink(true);
    const progress = new Progress('p', 3, { stream });
    progress.tick(1, '', 1);
    expect(chunks).toEqual(['\r\x1b[Kp 1/3 (33%) 1.00 it/s ETA 2s']);
    progress.break();
    expect(chunks.at(-1)).toBe('\n');
    progress.tick(2, '', 1); // rates 1 and 2 it/s: (0.09 + 0.2) / 0.19 = 1.53
    expect(chunks.at(-1)).toBe('\r\x1b[Kp 3/3 (100%) 1.53 it/s ETA 0s\n');
    progress.break();
    expect(chunks.at(-1)).toBe('\r\x1b[Kp 3/3 (100%) 1.53 it/s ETA 0s\n');
  });
});

describe('Progress of a resumed loop', () => {
  it('counts from `start`', () => {
    const { chunks, stream } = sink(false);
    const progress = new Progress('step', 10, { stream, start: 6 });
    progress.tick(1, '', 1);
    expect(chunks).toEqual(['step 7/10 (70%) 1.00 it/s ETA 3s\n']);
  });
});

describe('ExponentialAverage', () => {
  it('is bias-corrected: a constant input averages to itself from the first value', () => {
    const average = new ExponentialAverage();
    expect(average.value).toBeNaN();
    for (let i = 0; i < 3; i++) {
      average.add(5);
      expect(average.value).toBeCloseTo(5, 12);
    }
  });
});

describe('formatDuration', () => {
  it('writes seconds, minutes and hours', () => {
    expect([formatDuration(42), formatDuration(75), formatDuration(3700), formatDuration(Infinity)]).toEqual(['42s', '1m15s', '1h01m', '?']);
  });
});

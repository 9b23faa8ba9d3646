import { describe, expect, it } from 'vitest';
import { TrainProgress } from './progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (chunk: string) => (chunks.push(chunk), true) } };
}

describe('TrainProgress (deprecated, on @dit/core Progress)', () => {
  it('still prints the phase, epoch, step, rate, ETA, smoothed loss and LR', () => {
    const { chunks, stream } = sink(false);
    const progress = new TrainProgress({ totalSteps: 4, stream, everyMs: 60_000 });
    progress.update({ phase: 'mse-flip', epoch: 0, step: 1, loss: 2, lr: 1e-4, images: 8, seconds: 2 });
    progress.update({ phase: 'mse-flip', epoch: 0, step: 2, loss: 1, lr: 1e-4, images: 8, seconds: 2 });
    progress.update({ phase: 'mse-flip', epoch: 1, step: 4, loss: 1, lr: 5e-5, images: 8, seconds: 4 });
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe('mse-flip | epoch 0 | step 1/4 (25%) 0.50 step/s ETA 6s | loss 2.0000 | lr 1.00e-4\n');
    // Smoothed, not the last value: (0.1*2*0.81 + 0.1*1*0.9 + 0.1*1) / (0.081 + 0.09 + 0.1).
    expect(chunks[1]).toMatch(new RegExp(`^mse-flip \\| epoch 1 \\| step 4/4 \\(100%\\) 0\\.50 step/s ETA 0s \\| loss ${((0.162 + 0.09 + 0.1) / 0.271).toFixed(4)} \\| lr 5\\.00e-5\\n$`));
    expect(progress.line).toBe(chunks[1].trimEnd());
  });
});

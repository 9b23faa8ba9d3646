import { describe, expect, it } from 'vitest';
import { TrainProgress } from './progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (chunk: string) => (chunks.push(chunk), true) } as unknown as NodeJS.WritableStream & { isTTY: boolean } };
}

describe('TrainProgress', () => {
  it('prints plain periodic lines with phase, epoch, step, smoothed loss, LR, images/s and ETA', () => {
    const { chunks, stream } = sink(false);
    const progress = new TrainProgress({ totalSteps: 4, stream, everyMs: 60_000 });
    progress.update({ phase: 'mse-flip', epoch: 0, step: 1, loss: 2, lr: 1e-4, images: 8, seconds: 2 });
    progress.update({ phase: 'mse-flip', epoch: 0, step: 2, loss: 1, lr: 1e-4, images: 8, seconds: 2 });
    progress.update({ phase: 'mse-flip', epoch: 1, step: 4, loss: 1, lr: 5e-5, images: 8, seconds: 2 });
    // First line at once, the second within everyMs is held back, the last always printed.
    expect(chunks).toHaveLength(2);
    expect(chunks[0]).toBe('mse-flip | epoch 0 | step 1/4 (25%) | loss 2.0000 | lr 1.00e-4 | 4.00 img/s | ETA 6s\n');
    expect(chunks[1]).toMatch(/^mse-flip \| epoch 1 \| step 4\/4 \(100%\) \| loss 1\.\d{4} \| lr 5\.00e-5 \| 4\.00 img\/s \| ETA 0s\n$/);
    // Smoothed, not the last value: (0.1*2*0.81 + 0.1*1*0.9 + 0.1*1) / (0.081 + 0.09 + 0.1).
    expect(progress.line).toContain(`loss ${((0.162 + 0.09 + 0.1) / 0.271).toFixed(4)}`);
  });

  it('redraws one line on a terminal', () => {
    const { chunks, stream } = sink(true);
    const progress = new TrainProgress({ totalSteps: 2, stream });
    progress.update({ phase: 'p', epoch: 0, step: 1, loss: 1, lr: 1e-3, images: 2, seconds: 1 });
    progress.update({ phase: 'p', epoch: 0, step: 2, loss: 1, lr: 1e-3, images: 2, seconds: 1 });
    expect(chunks.every((c) => c.startsWith('\r\x1b[K'))).toBe(true);
    expect(chunks[1].endsWith('\n')).toBe(true);
  });
});

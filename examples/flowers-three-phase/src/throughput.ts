import * as tf from '@tensorflow/tfjs-core';

export interface MatmulBenchmark {
  backend: string;
  /** Side n of the n x n by n x n float32 product timed. */
  size: number;
  /** 2 n^3 / seconds, best of a few runs. */
  gflops: number;
}

async function timeMatmul(a: tf.Tensor2D, b: tf.Tensor2D, runs: number): Promise<number> {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const start = performance.now();
    const product = tf.matMul(a, b);
    await product.data();
    product.dispose();
    best = Math.min(best, (performance.now() - start) / 1000);
  }
  return best;
}

/**
 * Float32 matmul throughput of the active backend: the work a DiT training step is made of
 * (SPEC section 2's Linears and attention are ~all matmuls). The side grows from 256 until one
 * product takes 50 ms or reaches `maxSize`, so the whole measurement stays around a second.
 */
export async function benchmarkMatmul(options: { maxSize?: number; runs?: number } = {}): Promise<MatmulBenchmark> {
  const { maxSize = 4096, runs = 3 } = options;
  let size = 256;
  for (;;) {
    const a = tf.randomNormal([size, size], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([size, size], 0, 1, 'float32', 2) as tf.Tensor2D;
    try {
      await timeMatmul(a, b, 1); // warm-up: kernels, weights layout, threads
      const seconds = await timeMatmul(a, b, runs);
      if (seconds >= 0.05 || size >= maxSize) return { backend: tf.getBackend(), size, gflops: (2 * size ** 3) / seconds / 1e9 };
    } finally {
      tf.dispose([a, b]);
    }
    size *= 2;
  }
}

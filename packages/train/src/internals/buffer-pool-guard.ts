import { releaseWebgpuIdleBuffers, webgpuBufferPool, type WebGpuBufferPool } from '@dit/core';

/** Reads and trims the backend's buffer pool (defaults: @dit/core's tfjs-webgpu functions). */
export interface BufferPoolAccess {
  read(): WebGpuBufferPool | null;
  releaseIdle(): number;
}

const TFJS_WEBGPU: BufferPoolAccess = { read: webgpuBufferPool, releaseIdle: releaseWebgpuIdleBuffers };

/**
 * Keeps tfjs-webgpu's buffer pool within the memory plan when batches change shape.
 *
 * The pool keeps buffers by exact size, so a step at a new latent size (another bucket) finds
 * none to reuse and allocates its own set beside the idle set of the previous size: with
 * several buckets the pool would hold each size's peak at once. Before a step whose shape
 * differs from the last one, when what the pool holds plus the planned peak of a step would pass
 * the budget, the idle buffers are destroyed first. On other backends it does nothing.
 */
export class BufferPoolGuard {
  private lastShape: string | null = null;
  /** Bytes given back so far, and how many times. */
  released = { bytes: 0, times: 0 };

  constructor(
    private readonly plan: { budgetBytes: number | null; peakBytes: number },
    private readonly pool: BufferPoolAccess = TFJS_WEBGPU,
  ) {}

  /** Call before each step with a key of its tensors' shapes (the bucket); returns the bytes released. */
  beforeStep(shape: string): number {
    const changed = this.lastShape !== null && this.lastShape !== shape;
    this.lastShape = shape;
    if (!changed || this.plan.budgetBytes === null) return 0;
    const held = this.pool.read();
    if (!held || held.allocatedBytes + this.plan.peakBytes <= this.plan.budgetBytes) return 0;
    const bytes = this.pool.releaseIdle();
    this.released = { bytes: this.released.bytes + bytes, times: this.released.times + 1 };
    return bytes;
  }
}

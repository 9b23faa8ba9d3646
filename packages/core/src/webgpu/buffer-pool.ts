import * as tf from '@tensorflow/tfjs-core';

/**
 * tfjs-webgpu's buffer pool. Its BufferManager (tfjs-backend-webgpu 4.22, buffer_manager.ts)
 * never frees a GPUBuffer: a released one waits in a list keyed by its exact size and usage
 * until a tensor of that very size asks again. `tf.memory()` on webgpu reports the bytes in use
 * (`numBytesInGPU`) and the bytes allocated (`numBytesAllocatedInGPU`, pool included); nothing
 * in tfjs gives idle buffers back short of disposing the backend. These read and trim it.
 */
export interface WebGpuBufferPool {
  /** Bytes of every GPUBuffer tfjs-webgpu holds: in use plus idle. */
  allocatedBytes: number;
  /** Bytes of the buffers tensors (and in-flight uniforms or staging copies) use. */
  usedBytes: number;
  /** Bytes of the idle buffers kept for reuse. */
  idleBytes: number;
}

/** The parts of tfjs-webgpu's BufferManager read here (its fields are public in 4.22). */
interface BufferManagerLike {
  numBytesUsed: number;
  numBytesAllocated: number;
  numFreeBuffers: number;
  freeBuffers: Map<string, { size: number; destroy(): void }[]>;
}

function bufferManager(): BufferManagerLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const manager = (tf.backend() as { bufferManager?: Partial<BufferManagerLike> }).bufferManager;
  if (!manager || typeof manager.numBytesAllocated !== 'number' || !(manager.freeBuffers instanceof Map)) return null;
  return manager as BufferManagerLike;
}

/** The pool of the active webgpu backend, or null on other backends. */
export function webgpuBufferPool(): WebGpuBufferPool | null {
  const manager = bufferManager();
  if (!manager) return null;
  return { allocatedBytes: manager.numBytesAllocated, usedBytes: manager.numBytesUsed, idleBytes: manager.numBytesAllocated - manager.numBytesUsed };
}

/**
 * Destroys the idle buffers of tfjs-webgpu's pool and returns the bytes given back (0 on other
 * backends). Buffers in use are untouched; work already submitted that reads an idle buffer
 * keeps it alive until it completes (WebGPU defers a buffer's destruction past submitted work).
 * The next step of a new shape allocates afresh; one of a shape seen before refills the pool.
 */
export function releaseWebgpuIdleBuffers(): number {
  const manager = bufferManager();
  if (!manager) return 0;
  let freed = 0;
  for (const buffers of manager.freeBuffers.values()) {
    for (const buffer of buffers) {
      freed += buffer.size;
      buffer.destroy();
    }
    manager.numFreeBuffers -= buffers.length;
    // Emptied, not deleted: BufferManager.releaseBuffer ignores every release once the map has no keys.
    buffers.length = 0;
  }
  manager.numBytesAllocated -= freed;
  return freed;
}

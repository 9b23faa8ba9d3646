import * as tf from '@tensorflow/tfjs-core';

/**
 * The buffer limits of a WebGPU device that decide what this model may create. Every tfjs-webgpu
 * tensor is one GPUBuffer bound whole as a storage binding, so no single tensor may exceed
 * `maxStorageBufferBindingSize` (WebGPU guarantees 128 MiB; Dawn's lavapipe reports exactly
 * that, desktop GPUs report more) nor `maxBufferSize` (at least 256 MiB). tfjs-webgpu asks its
 * device for the adapter's own limits, so these are the adapter's.
 */
export interface DeviceBufferLimits {
  /** Bytes one storage binding may span: the largest tensor a kernel can read or write. */
  maxStorageBufferBindingSize: number;
  /** Bytes of the largest buffer the device creates. */
  maxBufferSize: number;
}

let override: DeviceBufferLimits | null | undefined;

/**
 * Pretends the active backend has these limits (or none, `null`) until called with 'auto'.
 * For tests and benchmarks: it shows on lavapipe what a device with a smaller binding limit does.
 */
export function setDeviceBufferLimits(limits: DeviceBufferLimits | null | 'auto'): void {
  override = limits === 'auto' ? undefined : limits;
}

/** The active backend's buffer limits: the WebGPU device's, or null on backends without such limits. */
export function deviceBufferLimits(): DeviceBufferLimits | null {
  if (override !== undefined) return override;
  if (tf.getBackend() !== 'webgpu') return null;
  const limits = (tf.backend() as { device?: { limits?: Partial<DeviceBufferLimits> } }).device?.limits;
  if (!limits?.maxStorageBufferBindingSize || !limits.maxBufferSize) return null;
  return { maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize, maxBufferSize: limits.maxBufferSize };
}

/** The largest tensor, in bytes, the limits allow: the smaller of the two. */
export function largestBufferBytes(limits: DeviceBufferLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

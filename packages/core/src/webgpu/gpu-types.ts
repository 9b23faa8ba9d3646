// The few WebGPU shapes @dit touches, typed here so that neither @dit/core nor its users need
// `@webgpu/types` (a DOM-lib package) to compile.

export interface GpuAdapterInfoLike {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Newer spec (Dawn 0.6+): true for a software/CPU fallback adapter. */
  isFallbackAdapter?: boolean;
}

export interface GpuAdapterLike {
  readonly info?: GpuAdapterInfoLike;
  /** Older spec, still set by some implementations. */
  readonly isFallbackAdapter?: boolean;
  readonly limits: Record<string, number>;
  readonly features: ReadonlySet<string>;
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GpuDeviceLike>;
}

export interface GpuDeviceLike {
  readonly lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: 'uncapturederror', listener: (event: { error: { message: string } }) => void): void;
  readonly limits: Record<string, number>;
  readonly features: ReadonlySet<string>;
  destroy(): void;
}

export interface GpuLike {
  requestAdapter(options?: { powerPreference?: 'high-performance' | 'low-power'; forceFallbackAdapter?: boolean }): Promise<GpuAdapterLike | null>;
}

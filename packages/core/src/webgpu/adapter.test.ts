import { describe, expect, it } from 'vitest';
import { describeAdapter, formatAdapter, formatBytes, softwareEvidence } from './adapter.js';
import type { GpuAdapterLike } from './gpu-types.js';

/** A desktop GPU's limits: the seven `describeAdapter` reports, which it passes through as they are. */
const LIMITS = {
  maxStorageBufferBindingSize: 2 ** 31,
  maxBufferSize: 2 ** 32 - 1,
  maxComputeWorkgroupStorageSize: 49152,
  maxComputeInvocationsPerWorkgroup: 1024,
  maxComputeWorkgroupSizeX: 1024,
  maxComputeWorkgroupsPerDimension: 65535,
  maxStorageBuffersPerShaderStage: 10,
};

function adapter(info: Partial<NonNullable<GpuAdapterLike['info']>>, extra: Partial<GpuAdapterLike> = {}): GpuAdapterLike {
  return {
    info: { vendor: '', architecture: '', device: '', description: '', ...info },
    limits: LIMITS,
    features: new Set(['shader-f16', 'timestamp-query', 'texture-compression-bc']),
    requestDevice: async () => {
      throw new Error('not in this test');
    },
    ...extra,
  };
}

describe('WebGPU adapter report', () => {
  it('tells software adapters (lavapipe, SwiftShader, WARP, fallback flag) from hardware ones', () => {
    // What Dawn reports for Mesa 25's lavapipe on this project's CI.
    const lavapipe = adapter({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe-llvm-15-0-6-256-bits-', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', isFallbackAdapter: true });
    expect(softwareEvidence(lavapipe)).toBe('the adapter reports isFallbackAdapter');
    expect(softwareEvidence(adapter({ vendor: 'mesa', architecture: 'software' }))).toBe("architecture 'software'");
    expect(softwareEvidence(adapter({ vendor: 'google', description: 'SwiftShader Device (Subzero)' }))).toContain('SwiftShader');
    expect(softwareEvidence(adapter({ vendor: 'microsoft', description: 'Microsoft Basic Render Driver' }))).toContain('Basic Render');
    expect(softwareEvidence(adapter({ vendor: 'nvidia' }, { isFallbackAdapter: true }))).toBe('the adapter reports isFallbackAdapter');
    expect(softwareEvidence(adapter({ vendor: 'nvidia', architecture: 'blackwell', description: 'NVIDIA GeForce RTX 5060 Ti' }))).toBeUndefined();
    expect(softwareEvidence(adapter({ vendor: 'amd', architecture: 'rdna-3', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' }))).toBeUndefined();
  });

  it('reports vendor, architecture, description, the limits that matter and the useful features', () => {
    const report = describeAdapter(adapter({ vendor: 'nvidia', architecture: 'ampere', description: 'NVIDIA RTX A4000' }), ['backend=vulkan']);
    expect(report).toEqual({
      vendor: 'nvidia',
      architecture: 'ampere',
      device: '',
      description: 'NVIDIA RTX A4000',
      software: false,
      limits: LIMITS,
      features: ['shader-f16', 'timestamp-query'],
      dawnFlags: ['backend=vulkan'],
    });
    expect(formatAdapter(report)).toBe('nvidia NVIDIA RTX A4000 (hardware, ampere; binding 2 GiB, buffer 4 GiB, workgroup memory 48 KiB)');
  });

  it('writes byte sizes the way limits are usually quoted', () => {
    expect(formatBytes(134217728)).toBe('128 MiB');
    expect(formatBytes(2 ** 32 - 1)).toBe('4 GiB');
    expect(formatBytes(32768)).toBe('32 KiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
  });
});

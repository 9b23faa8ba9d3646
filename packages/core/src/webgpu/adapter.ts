import type { GpuAdapterLike } from './gpu-types.js';

/** The adapter limits that decide what a training step can hold (bytes unless named otherwise). */
export interface WebgpuLimits {
  /** Largest single storage binding: one tensor a kernel reads or writes must fit (lavapipe: 128 MiB). */
  maxStorageBufferBindingSize: number;
  /** Largest single buffer. */
  maxBufferSize: number;
  /** Workgroup shared memory a kernel may use (tiles of matmul and attention). */
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBuffersPerShaderStage: number;
}

export const WEBGPU_LIMIT_NAMES: readonly (keyof WebgpuLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBuffersPerShaderStage',
];

/** What `selectBackend` and `dit doctor` say about a WebGPU adapter. */
export interface WebgpuAdapterReport {
  vendor: string;
  architecture: string;
  /** Driver's device string (may be empty). */
  device: string;
  description: string;
  /** A CPU implementation (lavapipe/llvmpipe, SwiftShader, WARP): correct but not GPU speed. */
  software: boolean;
  /** Why it counts as software, when it does. */
  softwareEvidence?: string;
  limits: WebgpuLimits;
  /** Optional features the adapter offers that matter to kernels. */
  features: string[];
  /** Dawn flags in effect (`DIT_DAWN_FLAGS`). */
  dawnFlags?: string[];
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|swiftshader|microsoft basic render|\bwarp\b/i;
const NOTABLE_FEATURES = ['shader-f16', 'subgroups', 'timestamp-query', 'float32-filterable'];

/** Why an adapter is a software one, or undefined for hardware. */
export function softwareEvidence(adapter: GpuAdapterLike): string | undefined {
  const info = adapter.info;
  if (info?.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return 'the adapter reports isFallbackAdapter';
  if (info?.architecture?.toLowerCase() === 'software') return "architecture 'software'";
  const name = [info?.description, info?.device, info?.vendor].find((s) => s && SOFTWARE_NAMES.test(s));
  return name ? `a CPU implementation ('${name}')` : undefined;
}

export function describeAdapter(adapter: GpuAdapterLike, dawnFlags: string[] = []): WebgpuAdapterReport {
  const info = adapter.info;
  const limits = Object.fromEntries(WEBGPU_LIMIT_NAMES.map((name) => [name, Number(adapter.limits[name])])) as unknown as WebgpuLimits;
  const evidence = softwareEvidence(adapter);
  return {
    vendor: info?.vendor ?? '',
    architecture: info?.architecture ?? '',
    device: info?.device ?? '',
    description: info?.description ?? '',
    software: evidence !== undefined,
    ...(evidence ? { softwareEvidence: evidence } : {}),
    limits,
    features: NOTABLE_FEATURES.filter((f) => adapter.features.has(f)),
    ...(dawnFlags.length ? { dawnFlags } : {}),
  };
}

const MIB = 1024 * 1024;
/** "128 MiB", "4 GiB" (4 GiB - 1 byte, Dawn's maxBufferSize on many drivers, reads as 4 GiB). */
export function formatBytes(n: number): string {
  const gib = n / (1024 * MIB);
  if (gib >= 1) return `${Number(gib.toFixed(1))} GiB`;
  return n >= MIB ? `${Number((n / MIB).toFixed(1))} MiB` : `${Number((n / 1024).toFixed(1))} KiB`;
}

/** One line: "mesa llvmpipe: Mesa 25.0.7 (software; binding 128 MiB, buffer 4 GiB, workgroup memory 32 KiB)". */
export function formatAdapter(report: WebgpuAdapterReport): string {
  const name = [report.vendor, report.description || report.device || report.architecture].filter(Boolean).join(' ');
  const kind = report.software ? 'software' : report.architecture ? `hardware, ${report.architecture}` : 'hardware';
  const l = report.limits;
  return `${name || 'unnamed adapter'} (${kind}; binding ${formatBytes(l.maxStorageBufferBindingSize)}, buffer ${formatBytes(l.maxBufferSize)}, workgroup memory ${formatBytes(l.maxComputeWorkgroupStorageSize)})`;
}

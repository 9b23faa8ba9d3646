import * as tf from '@tensorflow/tfjs-core';
import { describeAdapter, formatAdapter, WEBGPU_LIMIT_NAMES, type WebgpuAdapterReport } from './adapter.js';
import { dawnFlags, loadDawn, probeWebgpuPackages } from './dawn.js';
import { explainNoAdapter, webgpuDriverReport } from './driver-report.js';
import type { GpuAdapterLike, GpuDeviceLike } from './gpu-types.js';
import { installWebgpuKernelFixes } from './kernel-fixes.js';

/** A candidate skipped for a reason that comes with an adapter report (a software adapter, unforced). */
export class WebgpuAdapterRejected extends Error {
  constructor(
    message: string,
    readonly adapter: WebgpuAdapterReport,
  ) {
    super(message);
    this.name = 'WebgpuAdapterRejected';
  }
}

interface WebgpuBackendModule {
  WebGPUBackend: new (device: GpuDeviceLike, adapterInfo?: unknown) => tf.KernelBackend;
}

/** The part of tfjs' WebGPUBackend that tells a tensor kept on the CPU from one on the GPU. */
interface WebgpuBackendInternals {
  tensorMap: { get(dataId: object): { values?: unknown; dtype: string } };
}

export const NO_SYNC_READ =
  'dataSync()/arraySync() cannot read a tensor the webgpu backend holds on the GPU under Node: WebGPU has no synchronous read-back outside browsers (tfjs reads through an OffscreenCanvas there). Use await tensor.data() or tensor.array().';

/**
 * tfjs' synchronous read-back draws the buffer onto an OffscreenCanvas, which Node lacks: it
 * would fail with "OffscreenCanvas is not defined". This says why and what to use instead.
 */
function withClearSyncReadError(backend: tf.KernelBackend): tf.KernelBackend {
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId: object) => {
    const data = (backend as unknown as WebgpuBackendInternals).tensorMap.get(dataId);
    if (data.values != null || data.dtype === 'string' || 'OffscreenCanvas' in globalThis) return readSync(dataId);
    throw new Error(NO_SYNC_READ);
  };
  return backend;
}

/** The device and report of the WebGPU backend this process registered, once activated. */
let active: { report: WebgpuAdapterReport; device: GpuDeviceLike } | undefined;

/** The adapter the `webgpu` backend runs on in this process, or undefined before it is activated. */
export function activeWebgpuAdapter(): WebgpuAdapterReport | undefined {
  return active?.report;
}

interface RequestAdapterResult {
  adapter: GpuAdapterLike;
  report: WebgpuAdapterReport;
}

/**
 * Loads Dawn and asks for the high-performance adapter. Throws, with the driver-level reason a
 * user can act on (no Vulkan loader, no driver, Mesa too old, ...), when there is none.
 */
async function requestWebgpuAdapter(env: Record<string, string | undefined> = process.env): Promise<RequestAdapterResult> {
  const packages = probeWebgpuPackages();
  if (!packages.available) throw new Error(packages.reason);
  const gpu = await loadDawn(env);
  const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: 'high-performance' }), ADAPTER_TIMEOUT_MS, 'Dawn did not answer the adapter request within 30 s (a hung GPU driver?)');
  if (!adapter) throw new Error(`Dawn found no WebGPU adapter: ${explainNoAdapter(webgpuDriverReport(env))}`);
  return { adapter, report: describeAdapter(adapter, dawnFlags(env)) };
}

/**
 * The adapter WebGPU would run on here, without starting a backend (`dit doctor` shows it even
 * when another backend is chosen). Throws with the reason when there is none.
 */
export async function findWebgpuAdapter(env: Record<string, string | undefined> = process.env): Promise<WebgpuAdapterReport> {
  if (active) return active.report;
  return (await requestWebgpuAdapter(env)).report;
}

/** A broken driver can hang Dawn's adapter request; selectBackend must still move on. */
const ADAPTER_TIMEOUT_MS = 30_000;

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Optional features tfjs or @dit kernels use when the adapter has them. */
const WANTED_FEATURES = ['timestamp-query', 'shader-f16', 'subgroups'];
/**
 * Limits raised from the WebGPU defaults to what the adapter allows: the ones the adapter report
 * shows (tfjs asks for the same, and @dit's AddN fix reads maxStorageBuffersPerShaderStage).
 */
const RAISED_LIMITS = WEBGPU_LIMIT_NAMES;

/**
 * Brings tfjs' WebGPU backend up on Dawn. A software adapter (lavapipe, SwiftShader) is refused
 * unless `allowSoftware` (the backend was forced): it is correct but far slower than wasm.
 * Activating twice in a process reuses the first device.
 */
export async function activateWebgpu(options: { allowSoftware: boolean; env?: Record<string, string | undefined> }): Promise<WebgpuAdapterReport> {
  if (active && tf.engine().registryFactory.webgpu) {
    if (active.report.software && !options.allowSoftware) throw new WebgpuAdapterRejected(softwareReason(active.report), active.report);
    if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not initialise');
    return active.report;
  }
  const { adapter, report } = await requestWebgpuAdapter(options.env);
  if (report.software && !options.allowSoftware) throw new WebgpuAdapterRejected(softwareReason(report), report);
  const { WebGPUBackend } = (await import(/* @vite-ignore */ '@tensorflow/tfjs-backend-webgpu')) as unknown as WebgpuBackendModule;
  const device = await adapter.requestDevice({
    requiredFeatures: WANTED_FEATURES.filter((f) => adapter.features.has(f)),
    requiredLimits: Object.fromEntries(RAISED_LIMITS.filter((name) => adapter.limits[name] !== undefined).map((name) => [name, adapter.limits[name]])),
  });
  void device.lost.then((info) => {
    if (info.reason !== 'destroyed') process.stderr.write(`WebGPU device lost (${info.reason}): ${info.message}\n`);
  });
  reportUncapturedErrors(device);
  // Importing the package registers tfjs' own 'webgpu' factory, which would ask Dawn for an
  // adapter of its choosing; this one runs on the adapter checked above.
  if (tf.engine().registryFactory.webgpu) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => withClearSyncReadError(new WebGPUBackend(device, adapter.info)), 1);
  installWebgpuKernelFixes(device.limits.maxStorageBuffersPerShaderStage);
  if (!(await tf.setBackend('webgpu'))) {
    tf.removeBackend('webgpu');
    device.destroy();
    throw new Error(`the webgpu backend did not initialise on ${formatAdapter(report)}`);
  }
  active = { report, device };
  return report;
}

const uncaptured: string[] = [];

/**
 * WebGPU reports an invalid shader, pipeline or command buffer through an event, not an
 * exception: the kernels' results are then wrong. Each distinct error is printed once, so a
 * wrong result never goes unexplained; {@link webgpuErrors} lists them.
 */
function reportUncapturedErrors(device: GpuDeviceLike): void {
  device.addEventListener('uncapturederror', (event) => {
    const message = event.error.message.trim();
    if (uncaptured.includes(message)) return;
    if (uncaptured.length < 100) uncaptured.push(message);
    process.stderr.write(`WebGPU error (the results of the kernels submitted with it are wrong): ${message}\n`);
  });
}

/** The distinct WebGPU validation and out-of-memory errors seen in this process, first 100. */
export function webgpuErrors(): readonly string[] {
  return uncaptured;
}

function softwareReason(report: WebgpuAdapterReport): string {
  return `only a software adapter, ${formatAdapter(report)}: used when forced (DIT_BACKEND=webgpu)`;
}

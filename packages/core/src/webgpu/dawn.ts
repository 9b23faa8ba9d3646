import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageDir } from '../backends/package-dir.js';
import type { GpuLike } from './gpu-types.js';

/** Where npm `webgpu` keeps Dawn's prebuilt addon for this platform (its own index.js picks it the same way). */
export function dawnAddonPath(webgpuDir: string): string {
  const arch = process.platform === 'darwin' ? 'universal' : process.arch;
  return join(webgpuDir, 'dist', `${process.platform}-${arch}`, 'dawn.node');
}

/** Cheap check, without loading anything, that Dawn and tfjs' WebGPU backend are installed for this platform. */
export function probeWebgpuPackages(): { available: boolean; reason?: string } {
  const webgpuDir = packageDir('webgpu');
  if (!webgpuDir) return { available: false, reason: "the optional package 'webgpu' (Dawn for Node) is not installed" };
  if (!existsSync(dawnAddonPath(webgpuDir))) {
    return { available: false, reason: `'webgpu' has no Dawn build for ${process.platform}-${process.arch}` };
  }
  if (!packageDir('@tensorflow/tfjs-backend-webgpu')) {
    return { available: false, reason: '@tensorflow/tfjs-backend-webgpu is not installed' };
  }
  return { available: true };
}

/** What the `webgpu` package exports: Dawn's `GPU` factory and the WebGPU interface classes. */
interface DawnModule {
  create(flags: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** `DIT_DAWN_FLAGS`, comma separated: the toggles passed to Dawn (and shown in the adapter report). */
export function dawnFlags(env: Record<string, string | undefined> = process.env): string[] {
  return (env.DIT_DAWN_FLAGS ?? '').split(',').map((f) => f.trim()).filter(Boolean);
}

let dawnGpu: GpuLike | undefined;

/**
 * Loads Dawn once per process and exposes it as `navigator.gpu` with the WebGPU classes
 * (`GPUBufferUsage`, ...) as globals, as a browser would: tfjs' WebGPU backend expects both.
 * Node 20 has no `navigator`; Node 21+ has one without `gpu`.
 * `DIT_DAWN_FLAGS` (comma separated) is passed to Dawn, e.g. `backend=vulkan` or `adapter=NVIDIA`.
 */
export async function loadDawn(env: Record<string, string | undefined> = process.env): Promise<GpuLike> {
  if (dawnGpu) return dawnGpu;
  const webgpuDir = packageDir('webgpu');
  if (!webgpuDir) throw new Error("the optional package 'webgpu' is not installed");
  // Import the package (not the addon) so its fixes to dawn.node (buffers unmapped on destroy) apply.
  const dawn = (await import(/* @vite-ignore */ 'webgpu')) as unknown as DawnModule;
  const gpu = dawn.create(dawnFlags(env));
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const scope = globalThis as { navigator?: object };
  if (!scope.navigator) Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(scope.navigator!, 'gpu', { value: gpu, configurable: true, writable: true });
  dawnGpu = gpu;
  return gpu;
}

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import {
  explainNoAdapter,
  findWebgpuAdapter,
  formatAdapter,
  formatBytes,
  selectBackend,
  webgpuDriverReport,
  WEBGPU_LIMIT_NAMES,
  type BackendChoice,
  type WebgpuAdapterReport,
  type WebgpuDriverReport,
} from '@dit/core';

const requireHere = createRequire(import.meta.url);

export interface DoctorReport {
  node: string;
  platform: string;
  packages: Record<string, string | null>;
  backend: BackendChoice;
  cuda: { libcudart11: string | null; libcudnn8: string | null; nvidiaSmi: string | null };
  webgpu: DoctorWebgpu;
  advice: string[];
}

/** The WebGPU adapter (also when another backend was chosen), or why there is none, and the drivers underneath. */
export interface DoctorWebgpu {
  adapter: WebgpuAdapterReport | null;
  /** Why no adapter could be used (packages missing, Dawn found none, ...). */
  error?: string;
  drivers: WebgpuDriverReport;
}

/** The adapter selectBackend saw, or a fresh look when it never tried webgpu (node-gpu came first). */
async function webgpuSection(backend: BackendChoice): Promise<DoctorWebgpu> {
  const drivers = webgpuDriverReport();
  const attempt = backend.attempts.find((a) => a.name === 'webgpu');
  if (attempt?.adapter) return { adapter: attempt.adapter, drivers };
  if (attempt) return { adapter: null, error: attempt.reason, drivers };
  try {
    return { adapter: await findWebgpuAdapter(), drivers };
  } catch (error) {
    return { adapter: null, error: (error as Error).message, drivers };
  }
}

function packageVersion(name: string): string | null {
  let file: string | undefined;
  try {
    file = requireHere.resolve(`${name}/package.json`);
  } catch {
    // Packages whose exports map hides package.json: walk up from the entry point.
    try {
      let dir = dirname(requireHere.resolve(name));
      while (dir !== dirname(dir) && !existsSync(join(dir, 'package.json'))) dir = dirname(dir);
      file = join(dir, 'package.json');
    } catch {
      return null;
    }
  }
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** Finds a shared library the way the dynamic loader would: LD_LIBRARY_PATH, then the ldconfig cache. */
function findSharedLibrary(pattern: RegExp): string | null {
  for (const dir of (process.env.LD_LIBRARY_PATH ?? '').split(delimiter).filter(Boolean)) {
    try {
      const hit = readdirSync(dir).find((f) => pattern.test(f));
      if (hit) return join(dir, hit);
    } catch {
      // unreadable folder: keep looking
    }
  }
  try {
    const cache = execFileSync('ldconfig', ['-p'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const line = cache.split('\n').find((l) => pattern.test(l));
    return line ? line.split('=>').pop()!.trim() : null;
  } catch {
    return null;
  }
}

function nvidiaSmi(): string | null {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
  } catch {
    return null;
  }
}

/** What `dit doctor` reports: versions, the backend chosen and why, whether CUDA 11 / cuDNN 8 are visible, and the WebGPU adapter or why there is none. */
export async function doctor(): Promise<DoctorReport> {
  const packages: Record<string, string | null> = {};
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu', 'webgpu', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'sharp']) {
    packages[name] = packageVersion(name);
  }
  const backend = await selectBackend();
  const cuda = {
    libcudart11: findSharedLibrary(/libcudart\.so\.11/),
    libcudnn8: findSharedLibrary(/libcudnn\.so\.8/),
    nvidiaSmi: nvidiaSmi(),
  };
  const advice: string[] = [];
  if (backend.name !== 'node-gpu') {
    if (cuda.nvidiaSmi && !packages['@tensorflow/tfjs-node-gpu']) advice.push('An NVIDIA GPU is present: install @tensorflow/tfjs-node-gpu to use it.');
    const gpuAttempt = backend.attempts.find((a) => a.name === 'node-gpu');
    if (cuda.nvidiaSmi && gpuAttempt?.reason?.includes('native library is missing')) {
      advice.push('tfjs-node-gpu is installed without libtensorflow: allow its install script (pnpm approve-builds) on a machine with internet, then reinstall.');
    }
    if (cuda.nvidiaSmi && (!cuda.libcudart11 || !cuda.libcudnn8)) {
      advice.push('tfjs-node-gpu 4.x needs CUDA 11.2 (libcudart.so.11.0) and cuDNN 8.1 (libcudnn.so.8) on the loader path; newer CUDA majors are not picked up.');
    }
    if (backend.name === 'cpu') advice.push('Running on the plain JavaScript backend: @tensorflow/tfjs-backend-wasm is much faster.');
  }
  const webgpu = await webgpuSection(backend);
  if (backend.name !== 'webgpu' && backend.name !== 'node-gpu') {
    if (webgpu.adapter?.software) {
      advice.push(
        `WebGPU finds only a software adapter (${webgpu.adapter.description || webgpu.adapter.vendor}): it runs on the CPU, so it is used only when forced (DIT_BACKEND=webgpu, for tests). For a GPU: ${webgpu.drivers.problems.length ? webgpu.drivers.problems.join(' ') : webgpu.drivers.requirements}`,
      );
    } else if (!webgpu.adapter && webgpu.error) {
      advice.push(`WebGPU is unavailable: ${webgpu.error.includes('Dawn found no WebGPU adapter') ? webgpu.error : `${webgpu.error}. ${explainNoAdapter(webgpu.drivers)}`}`);
    }
  }
  return { node: process.version, platform: `${process.platform}-${process.arch}`, packages, backend, cuda, webgpu, advice };
}

function formatWebgpu(webgpu: DoctorWebgpu): string[] {
  const lines = [`WebGPU adapter: ${webgpu.adapter ? formatAdapter(webgpu.adapter) : `none (${webgpu.error ?? 'not tried'})`}`];
  if (webgpu.adapter) {
    const limits = webgpu.adapter.limits;
    const bytes = new Set(['maxStorageBufferBindingSize', 'maxBufferSize', 'maxComputeWorkgroupStorageSize']);
    lines.push(`  limits: ${WEBGPU_LIMIT_NAMES.map((n) => `${n} ${bytes.has(n) ? formatBytes(limits[n]) : limits[n]}`).join(', ')}`);
    lines.push(`  features: ${webgpu.adapter.features.join(', ') || 'none of shader-f16, subgroups, timestamp-query'}`);
  }
  const drivers = webgpu.drivers;
  if (drivers.vulkanLoader !== undefined) {
    lines.push(`Vulkan loader: ${drivers.vulkanLoader ?? 'not found (libvulkan.so.1)'}`);
    lines.push(`Vulkan drivers (${drivers.icdSource}):${drivers.icds!.length ? '' : ' none'}`);
    for (const icd of drivers.icds!) {
      const detail = [icd.apiVersion && `Vulkan ${icd.apiVersion}`, icd.mesaVersion && `Mesa ${icd.mesaVersion}`, icd.error && `manifest ${icd.error}`].filter(Boolean).join(', ');
      lines.push(`  ${icd.path} -> ${icd.libraryFound ?? `${icd.library || '?'} (not found)`}${detail ? ` (${detail})` : ''}`);
    }
    lines.push(`GPU device nodes: ${drivers.gpuDeviceNodes!.join(', ') || 'none'}${drivers.nvidiaDriver ? `; NVIDIA kernel driver ${drivers.nvidiaDriver}` : ''}`);
  } else {
    lines.push(`WebGPU needs: ${drivers.requirements}`);
  }
  return lines;
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines = [`node ${report.node} on ${report.platform}`];
  for (const [name, version] of Object.entries(report.packages)) lines.push(`  ${name}: ${version ?? 'not installed'}`);
  lines.push(`backend: ${report.backend.name}`);
  for (const attempt of report.backend.attempts) lines.push(`  ${attempt.ok ? 'ok  ' : 'skip'} ${attempt.name}${attempt.reason ? `: ${attempt.reason}` : ''}`);
  lines.push(`CUDA runtime 11: ${report.cuda.libcudart11 ?? 'not found'}`);
  lines.push(`cuDNN 8: ${report.cuda.libcudnn8 ?? 'not found'}`);
  lines.push(`GPU (nvidia-smi): ${report.cuda.nvidiaSmi ?? 'none'}`);
  lines.push(...formatWebgpu(report.webgpu));
  for (const line of report.advice) lines.push(`advice: ${line}`);
  return lines.join('\n');
}


import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import {
  backendPackageVersions,
  explainNoAdapter,
  findWebgpuAdapter,
  formatAdapter,
  formatBytes,
  libtensorflowReports,
  loadedLibtensorflow,
  selectBackend,
  webgpuDriverReport,
  WEBGPU_LIMIT_NAMES,
  type BackendChoice,
  type LibtensorflowReport,
  type SelectBackendOptions,
  type WebgpuAdapterReport,
  type WebgpuDriverReport,
} from '@dit/core';

const requireHere = createRequire(import.meta.url);

export interface DoctorReport {
  node: string;
  platform: string;
  /** The tfjs packages as @dit/core resolves them (where selectBackend loads them), and sharp as the cli does. */
  packages: Record<string, string | null>;
  backend: BackendChoice;
  /** tfjs-node and tfjs-node-gpu: which libtensorflow their addon uses, and the CUDA libraries found or missing. */
  libtensorflow: LibtensorflowReport[];
  /** The libtensorflow this process loaded, when the chosen backend is native. */
  loadedLibtensorflow: { tensorflow: string; path: string | null } | null;
  /** `nvidia-smi`'s name, driver and memory of each GPU, or null. */
  nvidiaSmi: string | null;
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

/** The cli's own dependency (the tfjs packages are @dit/core's, see backendPackageVersions). */
function sharpVersion(): string | null {
  try {
    // sharp's exports map hides its package.json: walk up from its entry point.
    let dir = dirname(requireHere.resolve('sharp'));
    while (dir !== dirname(dir) && !existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
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

const REBUILD = 'pnpm tfjs-native build --gpu (TensorFlow 2.18, CUDA 12.5 / cuDNN 9.3; --tf 2.16 for CUDA 12.3 / cuDNN 8.9), see tools/tfjs-node-offline';

function gpuAdvice(report: Omit<DoctorReport, 'advice' | 'webgpu'>): string[] {
  const advice: string[] = [];
  const gpu = report.libtensorflow.find((r) => r.package === '@tensorflow/tfjs-node-gpu');
  const gpuAttempt = report.backend.attempts.find((a) => a.name === 'node-gpu');
  if (report.backend.name === 'node-gpu') {
    if (gpu?.missing.includes('libcuda.so.1')) {
      advice.push('node-gpu runs, but without the NVIDIA driver (libcuda.so.1) TensorFlow runs every op on the CPU.');
    } else if (gpu && gpu.missing.length > 0) {
      advice.push(`node-gpu runs, but TensorFlow ${gpu.tensorflow} uses the GPU only with CUDA ${gpu.cuda} / cuDNN ${gpu.cudnn}: missing ${gpu.missing.join(', ')}; otherwise it runs on the CPU.`);
    }
    return advice;
  }
  if (!report.nvidiaSmi) return advice;
  if (!report.packages['@tensorflow/tfjs-node-gpu']) {
    advice.push('An NVIDIA GPU is present: install @tensorflow/tfjs-node-gpu to use it.');
  } else if (!gpu?.addon) {
    advice.push(`tfjs-node-gpu is installed without its addon: allow its install script (pnpm approve-builds) on a machine with internet (libtensorflow 2.9.1, CUDA 11.2), or build it for CUDA 12: ${REBUILD}.`);
  } else if (gpu.missing.length > 0) {
    advice.push(`tfjs-node-gpu's libtensorflow ${gpu.tensorflow} needs CUDA ${gpu.cuda} and cuDNN ${gpu.cudnn}; not found: ${gpu.missing.join(', ')}. Install them on the loader path, or rebuild for your CUDA: ${REBUILD}.`);
  } else if (gpuAttempt && !gpuAttempt.ok) {
    advice.push(`tfjs-node-gpu failed (${gpuAttempt.reason}); rebuilding it may help: ${REBUILD}.`);
  }
  return advice;
}

/** What `dit doctor` reports: versions, the backend chosen and why, which libtensorflow and what CUDA it finds, and the WebGPU adapter or why there is none. */
export async function doctor(options: { select?: SelectBackendOptions } = {}): Promise<DoctorReport> {
  const packages = { ...backendPackageVersions(), sharp: sharpVersion() };
  const backend = await selectBackend(options.select);
  const report = {
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    packages,
    backend,
    libtensorflow: libtensorflowReports(),
    loadedLibtensorflow: loadedLibtensorflow(),
    nvidiaSmi: nvidiaSmi(),
  };
  const advice = gpuAdvice(report);
  if (backend.name === 'cpu') advice.push('Running on the plain JavaScript backend: @tensorflow/tfjs-backend-wasm is much faster.');
  const webgpu = await webgpuSection(backend);
  // node-gpu without its CUDA libraries runs on the CPU: WebGPU may still be the way to the GPU.
  const nodeGpuOnGpu = backend.name === 'node-gpu' && report.libtensorflow.find((r) => r.package === '@tensorflow/tfjs-node-gpu')?.missing.length === 0;
  if (backend.name !== 'webgpu' && !nodeGpuOnGpu) {
    if (webgpu.adapter?.software) {
      advice.push(
        `WebGPU finds only a software adapter (${webgpu.adapter.description || webgpu.adapter.vendor}): it runs on the CPU, so it is used only when forced (DIT_BACKEND=webgpu, for tests). For a GPU: ${webgpu.drivers.problems.length ? webgpu.drivers.problems.join(' ') : webgpu.drivers.requirements}`,
      );
    } else if (!webgpu.adapter && webgpu.error) {
      advice.push(`WebGPU is unavailable: ${webgpu.error.includes('Dawn found no WebGPU adapter') ? webgpu.error : `${webgpu.error}. ${explainNoAdapter(webgpu.drivers)}`}`);
    }
  }
  return { ...report, webgpu, advice };
}

function describeLibtensorflow(lib: LibtensorflowReport): string[] {
  if (!lib.addon) return [`  ${lib.package}: no addon`];
  const gpu = lib.cuda ? `, for CUDA ${lib.cuda} / cuDNN ${lib.cudnn}` : '';
  const from = lib.source === 'tfjs-native' ? 'built by tools/tfjs-node-offline' : "the package's install script";
  const lines = [`  ${lib.package}: libtensorflow ${lib.tensorflow ?? '(unknown version)'}${gpu} (${from}) in ${lib.libraryDir ?? '(unknown folder)'}`];
  for (const found of lib.cudaLibraries) lines.push(`    ${found.path ? 'found  ' : 'missing'} ${found.name}${found.path ? `: ${found.path}` : ''}`);
  return lines;
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
  lines.push('libtensorflow:');
  for (const lib of report.libtensorflow) lines.push(...describeLibtensorflow(lib));
  if (report.loadedLibtensorflow) {
    lines.push(`  in use: libtensorflow ${report.loadedLibtensorflow.tensorflow} from ${report.loadedLibtensorflow.path ?? '(path unknown)'}`);
  }
  lines.push(`GPU (nvidia-smi): ${report.nvidiaSmi ?? 'none'}`);
  lines.push(...formatWebgpu(report.webgpu));
  for (const line of report.advice) lines.push(`advice: ${line}`);
  return lines.join('\n');
}

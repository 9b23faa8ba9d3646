import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { selectBackend, type BackendChoice } from '@dit/core';

const requireHere = createRequire(import.meta.url);

export interface DoctorReport {
  node: string;
  platform: string;
  packages: Record<string, string | null>;
  backend: BackendChoice;
  cuda: { libcudart11: string | null; libcudnn8: string | null; nvidiaSmi: string | null };
  advice: string[];
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

/** What `dit doctor` reports: versions, the backend chosen and why, and whether CUDA 11 / cuDNN 8 are visible. */
export async function doctor(): Promise<DoctorReport> {
  const packages: Record<string, string | null> = {};
  for (const name of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu', 'sharp']) {
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
  return { node: process.version, platform: `${process.platform}-${process.arch}`, packages, backend, cuda, advice };
}

export function formatDoctorReport(report: DoctorReport): string {
  const lines = [`node ${report.node} on ${report.platform}`];
  for (const [name, version] of Object.entries(report.packages)) lines.push(`  ${name}: ${version ?? 'not installed'}`);
  lines.push(`backend: ${report.backend.name}`);
  for (const attempt of report.backend.attempts) lines.push(`  ${attempt.ok ? 'ok  ' : 'skip'} ${attempt.name}${attempt.reason ? `: ${attempt.reason}` : ''}`);
  lines.push(`CUDA runtime 11: ${report.cuda.libcudart11 ?? 'not found'}`);
  lines.push(`cuDNN 8: ${report.cuda.libcudnn8 ?? 'not found'}`);
  lines.push(`GPU (nvidia-smi): ${report.cuda.nvidiaSmi ?? 'none'}`);
  for (const line of report.advice) lines.push(`advice: ${line}`);
  return lines.join('\n');
}


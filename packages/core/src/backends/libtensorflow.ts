import * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { nativeBindingPath } from './native.js';
import { packageDir } from './package-dir.js';
import { findSharedLibrary } from '../shared-library.js';

/** What tfjs-node-gpu's own install script downloads: libtensorflow 2.9.1 for CUDA 11.2 / cuDNN 8.1. */
const STOCK_GPU = {
  cuda: '11.2',
  cudnn: '8.1',
  cudaLibraries: ['libcuda.so.1', 'libcudart.so.11.0', 'libcublas.so.11', 'libcublasLt.so.11', 'libcufft.so.10', 'libcurand.so.10', 'libcusolver.so.11', 'libcusparse.so.11', 'libcudnn.so.8'],
};

/** Which libtensorflow a native package's addon uses, and what it needs from CUDA. */
export interface LibtensorflowReport {
  package: '@tensorflow/tfjs-node' | '@tensorflow/tfjs-node-gpu';
  /** The addon (`lib/napi-v*\/tfjs_binding.node`), or null when there is none. */
  addon: string | null;
  /** `tfjs-native`: built by tools/tfjs-node-offline (its dit-libtensorflow.json); `stock`: the package's install script. */
  source: 'tfjs-native' | 'stock' | null;
  /** TensorFlow version of the library, e.g. '2.18.0'. */
  tensorflow: string | null;
  /** The folder holding libtensorflow*.so, when known. */
  libraryDir: string | null;
  /** GPU builds: the CUDA and cuDNN versions the library was built for. */
  cuda: string | null;
  cudnn: string | null;
  /** GPU builds: each library TensorFlow opens at run time, with where the loader finds it (or null). */
  cudaLibraries: { name: string; path: string | null }[];
  /** The names in `cudaLibraries` that were not found. */
  missing: string[];
}

interface Manifest {
  tensorflow: string;
  libraryDir: string;
  cuda: string | null;
  cudnn: string | null;
  cudaLibraries: string[];
}

/** The libtensorflow version tfjs-node's install script downloads (scripts/deps-constants.js). */
function stockTensorflowVersion(dir: string): string | null {
  try {
    return /LIBTENSORFLOW_VERSION\s*=\s*'([^']+)'/.exec(readFileSync(join(dir, 'scripts', 'deps-constants.js'), 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

export interface LibtensorflowReportOptions {
  /** Where to look for shared libraries (`LD_LIBRARY_PATH`). Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Package folders to report on instead of those @dit/core resolves (tests). */
  packageDirs?: Partial<Record<LibtensorflowReport['package'], string>>;
}

/** Reports, for tfjs-node and tfjs-node-gpu as @dit/core resolves them, which libtensorflow their addon uses and which CUDA libraries are found. */
export function libtensorflowReports(options: LibtensorflowReportOptions = {}): LibtensorflowReport[] {
  const env = options.env ?? process.env;
  return (['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'] as const).map((pkg) => {
    const dir = options.packageDirs ? options.packageDirs[pkg] : packageDir(pkg);
    const addon = dir ? (nativeBindingPath(dir) ?? null) : null;
    const report: LibtensorflowReport = { package: pkg, addon, source: null, tensorflow: null, libraryDir: null, cuda: null, cudnn: null, cudaLibraries: [], missing: [] };
    if (!dir || !addon) return report;
    const manifestPath = join(dirname(addon), 'dit-libtensorflow.json');
    let libraries: string[] = [];
    if (existsSync(manifestPath)) {
      let manifest: Manifest;
      try {
        manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      } catch (error) {
        throw new Error(`${manifestPath} (written by tools/tfjs-node-offline): ${(error as Error).message}`);
      }
      Object.assign(report, { source: 'tfjs-native', tensorflow: manifest.tensorflow, libraryDir: manifest.libraryDir, cuda: manifest.cuda, cudnn: manifest.cudnn });
      libraries = manifest.cudaLibraries;
    } else {
      const deps = join(dir, 'deps', 'lib');
      Object.assign(report, { source: 'stock', tensorflow: stockTensorflowVersion(dir), libraryDir: existsSync(deps) ? deps : dirname(addon) });
      if (pkg === '@tensorflow/tfjs-node-gpu') {
        Object.assign(report, { cuda: STOCK_GPU.cuda, cudnn: STOCK_GPU.cudnn });
        libraries = STOCK_GPU.cudaLibraries;
      }
    }
    report.cudaLibraries = libraries.map((name) => ({ name, path: findSharedLibrary(name, env) }));
    report.missing = report.cudaLibraries.filter((lib) => lib.path === null).map((lib) => lib.name);
    return report;
  });
}

/** The libtensorflow the running process loaded (tfjs' 'tensorflow' backend active), read from /proc/self/maps: version and file. */
export function loadedLibtensorflow(): { tensorflow: string; path: string | null } | null {
  if (tf.getBackend() !== 'tensorflow') return null;
  const binding = (tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
  let path: string | null = null;
  try {
    const maps = readFileSync('/proc/self/maps', 'utf8').split('\n');
    path = maps.map((line) => line.slice(line.indexOf('/'))).find((file) => /\/libtensorflow(_cc)?\.so[.\d]*$/.test(file)) ?? null;
  } catch {
    // not Linux
  }
  return { tensorflow: binding?.TF_Version ?? 'unknown', path };
}

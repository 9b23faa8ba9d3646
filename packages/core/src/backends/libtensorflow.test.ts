import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { libtensorflowReports } from './libtensorflow.js';

const root = mkdtempSync(join(tmpdir(), 'dit-libtf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A package folder shaped like tfjs-node's: an addon, and either our manifest or the stock deps-constants.js. */
function fakePackage(name: string, manifest?: object): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'lib', 'napi-v8'), { recursive: true });
  mkdirSync(join(dir, 'scripts'), { recursive: true });
  writeFileSync(join(dir, 'lib', 'napi-v8', 'tfjs_binding.node'), '');
  writeFileSync(join(dir, 'scripts', 'deps-constants.js'), "const LIBTENSORFLOW_VERSION = '2.9.1';\n");
  if (manifest) writeFileSync(join(dir, 'lib', 'napi-v8', 'dit-libtensorflow.json'), JSON.stringify(manifest));
  return dir;
}

describe('libtensorflowReports', () => {
  it('reads a tfjs-native build: TensorFlow version, folder, CUDA/cuDNN, and which CUDA libraries are found or missing', () => {
    const libs = join(root, 'cuda-libs');
    mkdirSync(libs, { recursive: true });
    writeFileSync(join(libs, 'libcudart.so.12'), '');
    const gpu = fakePackage('gpu', {
      tensorflow: '2.18.0',
      libraryDir: '/cache/libtensorflow-2.18.0-gpu/lib',
      cuda: '12.5',
      cudnn: '9.3',
      cudaLibraries: ['libcudart.so.12', 'libdit-test-absent.so.9'],
    });
    const [cpuReport, gpuReport] = libtensorflowReports({
      env: { LD_LIBRARY_PATH: libs },
      packageDirs: { '@tensorflow/tfjs-node-gpu': gpu },
    });
    expect(cpuReport).toMatchObject({ package: '@tensorflow/tfjs-node', addon: null, tensorflow: null });
    expect(gpuReport).toMatchObject({ source: 'tfjs-native', tensorflow: '2.18.0', libraryDir: '/cache/libtensorflow-2.18.0-gpu/lib', cuda: '12.5', cudnn: '9.3' });
    expect(gpuReport.cudaLibraries).toEqual([
      { name: 'libcudart.so.12', path: join(libs, 'libcudart.so.12') },
      { name: 'libdit-test-absent.so.9', path: null },
    ]);
    expect(gpuReport.missing).toEqual(['libdit-test-absent.so.9']);
  });

  it("reports a stock install: libtensorflow 2.9.1, and for tfjs-node-gpu CUDA 11.2's libraries", () => {
    const [cpuReport, gpuReport] = libtensorflowReports({
      env: { LD_LIBRARY_PATH: '' },
      packageDirs: { '@tensorflow/tfjs-node': fakePackage('stock-cpu'), '@tensorflow/tfjs-node-gpu': fakePackage('stock-gpu') },
    });
    expect(cpuReport).toMatchObject({ source: 'stock', tensorflow: '2.9.1', cuda: null, cudaLibraries: [], missing: [] });
    expect(gpuReport).toMatchObject({ source: 'stock', tensorflow: '2.9.1', cuda: '11.2', cudnn: '8.1' });
    expect(gpuReport.cudaLibraries.map((lib) => lib.name)).toEqual(expect.arrayContaining(['libcudart.so.11.0', 'libcudnn.so.8', 'libcuda.so.1']));
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_CANDIDATES, type BackendCandidate } from '@dit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, formatDoctorReport } from './doctor.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));

describe('dit doctor and WebGPU', () => {
  it('shows the WebGPU adapter with its limits, or why there is none, and the drivers underneath', async () => {
    const report = await doctor();
    const text = formatDoctorReport(report);
    if (report.webgpu.adapter) {
      expect(report.webgpu.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
      expect(text).toMatch(/^WebGPU adapter: .*binding .*\n {2}limits: maxStorageBufferBindingSize \d/m);
    } else {
      expect(text).toMatch(/^WebGPU adapter: none \(.+\)$/m);
    }
    expect(report.webgpu.drivers.requirements).toMatch(/Dawn runs on|ships Dawn for/);
    if (process.platform === 'linux') expect(text).toMatch(/^Vulkan loader: .*\nVulkan drivers \(/m);
  });

  it.runIf(process.platform === 'linux')('says in words a user can act on why Dawn found no adapter', () => {
    expect(existsSync(bin), `${bin} missing: run pnpm build`).toBe(true);
    const run = spawnSync(process.execPath, [bin, 'doctor'], {
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, VK_DRIVER_FILES: '/nonexistent/dit_icd.json', DIT_BACKEND: '' },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^WebGPU adapter: none \(.*\)$/m);
    expect(run.stdout).toMatch(/^ {2}\/nonexistent\/dit_icd\.json -> \? \(not found\) \(manifest missing\)$/m);
    const advice = run.stdout.split('\n').find((l) => l.startsWith('advice: WebGPU is unavailable'));
    // With the package installed Dawn looks and finds nothing; without it, the package is named.
    expect(advice).toMatch(/Dawn found no WebGPU adapter: The Vulkan driver manifest \/nonexistent\/dit_icd\.json \(from VK_DRIVER_FILES\) does not exist|'webgpu' \(Dawn for Node\) is not installed/);
  });
});

describe('dit doctor', () => {
  const original = tf.getBackend();
  afterAll(async () => {
    await tf.setBackend(original);
  });

  it('finds the tfjs packages where @dit/core loads them, including the wasm backend it runs on', async () => {
    const report = await doctor({ select: { env: {}, order: ['wasm', 'cpu'] } });
    expect(report.backend.name).toBe('wasm');
    // The cli depends on none of these itself: resolved from the cli they were all 'not installed'.
    expect(report.packages['@tensorflow/tfjs-backend-wasm']).toBe('4.22.0');
    expect(report.packages['@tensorflow/tfjs-node']).toBe('4.22.0');
    expect(report.packages['@tensorflow/tfjs-node-gpu']).toBe('4.22.0');
    expect(report.packages['@tensorflow/tfjs-core']).toBe('4.22.0');
    const text = formatDoctorReport(report);
    expect(text).toContain('@tensorflow/tfjs-backend-wasm: 4.22.0');
    expect(text).not.toContain('not installed');
    expect(text).toMatch(/libtensorflow:\n {2}@tensorflow\/tfjs-node: /);
  });

  it('shows a backend that loaded but failed its works-check, and what it fell back to', async () => {
    tf.registerBackend('dit-doctor-broken', tf.findBackendFactory('cpu')!); // no kernels: every op fails
    const broken: BackendCandidate = {
      name: 'node',
      tfjsName: 'dit-doctor-broken',
      probe: () => ({ available: true }),
      async activate() {
        await tf.setBackend('dit-doctor-broken');
      },
    };
    const cpu = DEFAULT_CANDIDATES.find((c) => c.name === 'cpu')!;
    const report = await doctor({ select: { env: {}, order: ['node', 'cpu'], candidates: [broken, cpu] } });
    expect(report.backend.name).toBe('cpu');
    const text = formatDoctorReport(report);
    expect(text).toMatch(/backend: cpu\n {2}skip node: the 'dit-doctor-broken' backend loaded but failed its works-check \(a matMul and a gradient\): .*not registered/);
    expect(text).toContain('advice: Running on the plain JavaScript backend');
  });
});

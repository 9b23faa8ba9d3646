import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_CANDIDATES, type BackendCandidate } from '@dit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { doctor, formatDoctorReport } from './doctor.js';

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

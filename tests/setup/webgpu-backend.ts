// The webgpu project (vitest.config.ts): every test file runs on tfjs' WebGPU backend, a
// software adapter included. Where the probe found no adapter and DIT_REQUIRE_WEBGPU is unset,
// the project skips every test (testNamePattern) and this file stays on wasm.
import { selectBackend, webgpuErrors } from '@dit/core';
import { afterAll, expect } from 'vitest';

if (process.env.DIT_WEBGPU_SKIP) {
  await selectBackend({ order: ['wasm', 'cpu'], env: {} });
} else {
  await selectBackend({ force: 'webgpu', env: {} });
  // A WebGPU validation error means some kernel's result was wrong, even when a test passed.
  afterAll(() => {
    expect(webgpuErrors(), 'WebGPU errors during this file').toEqual([]);
  });
}

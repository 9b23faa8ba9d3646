// Gives a test file tfjs' WebGPU backend (Dawn; a software adapter such as lavapipe counts), or
// the one-line reason there is none. With DIT_REQUIRE_WEBGPU=1 (set by .ci/run, where lavapipe is
// installed) a missing adapter is an error, so CI cannot skip the WebGPU tests silently.
//
//   const webgpu = await webgpuForTests();
//   describe.skipIf(!webgpu.available)(`on webgpu${webgpu.skipNote}`, () => {
//     beforeAll(() => webgpu.use());   // makes webgpu the active backend
//     afterAll(() => webgpu.restore()); // back to the backend the file started on
//     ...
//   });
import * as tf from '@tensorflow/tfjs-core';
import { formatAdapter, selectBackend, type WebgpuAdapterReport } from '@dit/core';

export interface WebgpuForTests {
  available: boolean;
  /** Why there is no WebGPU backend (empty when available). */
  reason: string;
  /** ` (skipped: <reason>)` when unavailable, '' otherwise: append it to a describe name. */
  skipNote: string;
  adapter?: WebgpuAdapterReport;
  /** Makes webgpu the active tfjs backend. */
  use(): Promise<void>;
  /** Makes the backend active before `use()` the active one again. */
  restore(): Promise<void>;
}

let cached: Promise<WebgpuForTests> | undefined;

async function probe(): Promise<WebgpuForTests> {
  const before = tf.getBackend();
  let previous = before;
  try {
    const choice = await selectBackend({ force: 'webgpu', env: {} });
    if (before && before !== 'webgpu') await tf.setBackend(before);
    return {
      available: true,
      reason: '',
      skipNote: '',
      adapter: choice.adapter,
      async use() {
        const current = tf.getBackend();
        if (current !== 'webgpu') previous = current;
        await tf.setBackend('webgpu');
      },
      async restore() {
        if (previous && previous !== 'webgpu') await tf.setBackend(previous);
      },
    };
  } catch (error) {
    const reason = (error as Error).message.replace(/^backend 'webgpu' was requested \(force option\) but could not be used:\s*(webgpu: )?/, '').replace(/\s+/g, ' ');
    if (process.env.DIT_REQUIRE_WEBGPU === '1') throw new Error(`DIT_REQUIRE_WEBGPU=1 but WebGPU is unavailable: ${reason}`);
    if (before && tf.getBackend() !== before) await tf.setBackend(before);
    console.info(`webgpu tests skipped: ${reason}`);
    const skip = async () => {
      throw new Error(`webgpu is unavailable: ${reason}`);
    };
    return { available: false, reason, skipNote: ` (skipped: ${reason})`, use: skip, restore: async () => {} };
  }
}

/** The WebGPU backend for this test file (probed once per process), or why not. */
export function webgpuForTests(): Promise<WebgpuForTests> {
  cached ??= probe();
  return cached;
}

/** One line for logs: the adapter in use. */
export function describeTestAdapter(webgpu: WebgpuForTests): string {
  return webgpu.adapter ? formatAdapter(webgpu.adapter) : `no adapter: ${webgpu.reason}`;
}

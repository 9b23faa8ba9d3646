import type { BackendCandidate } from '../backend-types.js';
import { activateWebgpu } from '../webgpu/candidate.js';
import { probeWebgpuPackages } from '../webgpu/dawn.js';

/**
 * tfjs' WebGPU backend on Dawn (npm `webgpu`): Vulkan on Linux, Metal on macOS, D3D12 on Windows.
 * Unforced it takes a hardware adapter only; `DIT_BACKEND=webgpu` also takes a software one.
 */
export const webgpuCandidate: BackendCandidate = {
  name: 'webgpu',
  tfjsName: 'webgpu',
  probe: probeWebgpuPackages,
  async activate({ forced = false }) {
    return { adapter: await activateWebgpu({ allowSoftware: forced }) };
  },
};

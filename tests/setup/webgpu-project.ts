import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProjectInlineConfiguration } from 'vitest/config';

/**
 * The PyTorch-parity tests of model, flow, samplers and train, exact resume, and the encoders and
 * pipeline that sampling runs (AutoencoderKL against diffusers, T5Gemma 2 against transformers),
 * which `pnpm test` runs a second time on tfjs' WebGPU backend (lavapipe, a software Vulkan, in
 * CI). Keep them tiny: lavapipe runs shaders on the CPU.
 */
export const WEBGPU_TEST_FILES = [
  'packages/model/src/parity.test.ts',
  'packages/model/src/gradients.test.ts',
  'packages/flow/src/reference-parity.test.ts',
  'packages/samplers/src/reference-parity.test.ts',
  'packages/train/src/optim/adamw.test.ts',
  'packages/train/src/accumulate.test.ts',
  'packages/train/src/trainer.test.ts',
  'packages/train/src/resume.test.ts',
  'packages/encoders/src/vae/autoencoder-kl.test.ts',
  'packages/encoders/src/vae/autoencoder-kl-encode.test.ts',
  'packages/encoders/src/t5gemma/encoder.test.ts',
  'packages/encoders/src/t5gemma/text-encoder.test.ts',
  'packages/pipeline/src/pipeline.test.ts',
  'packages/pipeline/src/from-pretrained.test.ts',
];

const root = fileURLToPath(new URL('../..', import.meta.url));

type Probe = { available: true; adapter: string } | { available: false; reason: string };

/**
 * Asks a child process (Dawn stays out of vitest's own) whether a WebGPU adapter exists. vitest
 * evaluates its config more than once: the answer is kept in the environment for the later ones.
 */
function probeWebgpu(): Probe {
  if (process.env.DIT_WEBGPU_PROBE) return JSON.parse(process.env.DIT_WEBGPU_PROBE) as Probe;
  const probe = runProbe();
  process.env.DIT_WEBGPU_PROBE = JSON.stringify(probe);
  const required = process.env.DIT_REQUIRE_WEBGPU === '1';
  console.log(probe.available ? `webgpu tests on ${probe.adapter}` : `webgpu tests ${required ? 'required (DIT_REQUIRE_WEBGPU=1) but' : 'skipped:'} ${probe.reason}`);
  return probe;
}

function runProbe(): Probe {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'tests/setup/webgpu-probe.ts'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const line = run.stdout?.trim().split('\n').pop();
  try {
    return JSON.parse(line ?? '');
  } catch {
    return { available: false, reason: `the probe failed (exit ${run.status}): ${(run.stderr ?? '').trim().split('\n').pop()}` };
  }
}

/**
 * The `webgpu` vitest project. Without an adapter its tests are skipped, with one line saying
 * why, unless DIT_REQUIRE_WEBGPU=1 (CI): then each file fails with the reason.
 */
export function webgpuProject(): TestProjectInlineConfiguration {
  const probe = probeWebgpu();
  const required = process.env.DIT_REQUIRE_WEBGPU === '1';
  const skip = !probe.available && !required;
  return {
    extends: true,
    test: {
      name: 'webgpu',
      include: WEBGPU_TEST_FILES,
      setupFiles: ['tests/setup/webgpu-backend.ts'],
      env: { DIT_BACKEND: 'webgpu', ...(skip ? { DIT_WEBGPU_SKIP: probe.reason } : {}) },
      ...(skip ? { testNamePattern: /^$a/ } : {}),
    },
  };
}

// The benchmark configurations, shared by the tfjs runner (run-tfjs.mjs), the PyTorch
// reference (tools/reference/bench_model.py, which receives them as JSON) and the report.
//
// Each case is timed three ways:
//   train   forward + MSE loss + backward for every parameter + the global gradient norm read
//           as a number (what clipping reads), batch B (no optimiser step)
//   forward one forward of the CFG pair, batch 2B (what one guided sampling step evaluates)
//   sample  30 Euler steps (a case's sampleSteps when set) with CFG 1.5 (batched [uncond; cond]),
//           batch B, from noise; the median step after the first is the guided sampling step
//
// `gpu: true` cases are for GPU engines only (webgpu, torch-cuda): a CPU would take hours.

/** @typedef {{ inChannels: number, patchSize: number, hiddenSize: number, depth: number, numHeads: number, textDim: number, textLength: number }} DiTConfig */

export const SAMPLE_STEPS = 30;
export const GUIDANCE_SCALE = 1.5;

/**
 * @type {{ id: string, label: string, config: DiTConfig, batch: number, height: number, width: number,
 *   reps: { train: number, forward: number, sample: number }, cpu: boolean, gpu?: boolean, sampleSteps?: number }[]}
 */
export const CASES = [
  {
    id: 'tiny',
    label: 'tiny preset: hidden 64, depth 2, 16x16 latents (64 image + 16 text tokens), batch 4',
    config: { inChannels: 4, patchSize: 2, hiddenSize: 64, depth: 2, numHeads: 4, textDim: 48, textLength: 16 },
    batch: 4,
    height: 16,
    width: 16,
    reps: { train: 9, forward: 9, sample: 3 },
    cpu: true,
  },
  {
    id: 'demo',
    label: 'the offline demo as issue #9 describes it: hidden 192, depth 4, 48 channels, 16x16 latents (64 image + 32 text tokens), batch 4',
    config: { inChannels: 48, patchSize: 2, hiddenSize: 192, depth: 4, numHeads: 4, textDim: 64, textLength: 32 },
    batch: 4,
    height: 16,
    width: 16,
    reps: { train: 7, forward: 7, sample: 3 },
    cpu: false,
  },
  {
    id: 'demo128',
    label: 'the offline demo as examples/demo now trains it: hidden 128, depth 4, 12 channels, 16x16 latents (64 image + 24 text tokens), batch 4',
    config: { inChannels: 12, patchSize: 2, hiddenSize: 128, depth: 4, numHeads: 4, textDim: 64, textLength: 24 },
    batch: 4,
    height: 16,
    width: 16,
    reps: { train: 7, forward: 7, sample: 3 },
    cpu: false,
  },
  {
    id: 'small',
    label: 'small: hidden 256, depth 4, 32x32 latents (256 image + 32 text tokens), batch 4',
    config: { inChannels: 4, patchSize: 2, hiddenSize: 256, depth: 4, numHeads: 4, textDim: 1152, textLength: 32 },
    batch: 4,
    height: 32,
    width: 32,
    reps: { train: 5, forward: 5, sample: 1 },
    cpu: false,
  },
  {
    id: 'seed1',
    label: 'original width, 1 block: hidden 1024, 16 heads, 64x64 latents (1024 image + 256 text tokens), batch 1',
    config: { inChannels: 4, patchSize: 2, hiddenSize: 1024, depth: 1, numHeads: 16, textDim: 1152, textLength: 256 },
    batch: 1,
    height: 64,
    width: 64,
    reps: { train: 2, forward: 2, sample: 1 },
    cpu: false,
  },
  {
    id: 'original8',
    label: "the original preset as issue #13's goals state it: hidden 1024, depth 12, 16 heads, 64x64 latents (512 px: 1024 image + 256 text tokens), batch 8",
    config: { inChannels: 4, patchSize: 2, hiddenSize: 1024, depth: 12, numHeads: 16, textDim: 1152, textLength: 256 },
    batch: 8,
    height: 64,
    width: 64,
    reps: { train: 3, forward: 3, sample: 1 },
    cpu: false,
    gpu: true,
    sampleSteps: 6,
  },
];

export const MEASURES = ['train', 'forward', 'sample'];

/** Euler steps of a case's sampling run. */
export const sampleStepsOf = (benchCase) => benchCase.sampleSteps ?? SAMPLE_STEPS;

/** The case with this id, or an error naming the known ones. */
export function caseById(id) {
  const found = CASES.find((c) => c.id === id);
  if (!found) throw new Error(`unknown bench case '${id}' (known: ${CASES.map((c) => c.id).join(', ')})`);
  return found;
}

import * as tf from '@tensorflow/tfjs-core';
import {
  deviceBufferLimits,
  estimateMemory,
  WASM_HEAP_BYTES,
  WASM_HEAP_USABLE_FRACTION,
  type DeviceBufferLimits,
  type LargestTensor,
} from '@dit/model';

/**
 * Peak bytes the backend holds for a forward (or training step) at one batch and latent size.
 * `backend` is the one planned for (the model's estimate adds tfjs-webgpu's buffer pool on 'webgpu').
 */
export type EstimateMemory = (
  config: Readonly<Record<string, number>>,
  options: { batch: number; height: number; width: number; training: boolean; checkpointing: boolean; backend?: string },
) => number;

/**
 * @dit/model's `estimateMemory` for a training run: parameters, gradients, activations, plus
 * `stateCopies` parameter-sized tensors the trainer keeps on the backend (AdamW's two moments,
 * one more for an EMA; the 8-bit optimiser's moments live in JavaScript memory, not the backend's);
 * on WebGPU the bytes tfjs-webgpu allocates, its buffer pool included (`deviceBytes`).
 */
export function modelMemoryEstimate(options: { stateCopies: number }): EstimateMemory {
  return (config, shape) => estimateMemory(config, { ...shape, optimizerStates: options.stateCopies }).deviceBytes;
}

/**
 * The memory planned for on WebGPU when no budget is given: WebGPU tells nothing of a GPU's
 * memory size (no adapter or device field holds it), so the plan assumes a common 8 GiB card.
 * Pass `memoryBudget` (`--memory-budget`) for the real size: more lets larger micro-batches run
 * without checkpointing, less avoids running out of GPU memory.
 */
export const WEBGPU_ASSUMED_MEMORY_BYTES = 8 * 2 ** 30;

export interface PlanMemoryOptions {
  /** The model's architecture. */
  config: Readonly<Record<string, number>>;
  batchSize: number;
  /** Latent sizes the data holds (the largest decides). */
  latentSizes: readonly { height: number; width: number }[];
  /** '16GB', '12 GiB', '800MB' or bytes. Without one, nothing is chosen automatically. */
  budget?: string | number;
  /** Fixed micro-batch size (otherwise chosen). */
  microBatch?: number;
  /** Fixed checkpointing choice (otherwise chosen). */
  checkpointing?: boolean;
  estimate: EstimateMemory;
  /**
   * Backend the run uses. Default the active one. On 'wasm' plans also respect its 4 GiB heap, of
   * which the model's own check allows `WASM_HEAP_USABLE_FRACTION` (70%); on 'webgpu' the device's
   * binding limit (no tensor may exceed it) and, without a budget, {@link WEBGPU_ASSUMED_MEMORY_BYTES}.
   */
  backend?: string;
  /** A WebGPU device's buffer limits. Default: the active backend's (`deviceBufferLimits()` of @dit/model) on 'webgpu', else none. */
  limits?: DeviceBufferLimits | null;
}

export interface MemoryPlan {
  microBatch: number;
  checkpointing: boolean;
  /** Estimated peak bytes of one training step at the largest latent size. */
  peakBytes: number;
  /** The limit planned for: the budget, or the wasm heap when that is smaller, or WebGPU's assumed memory; null without any. */
  budgetBytes: number | null;
  /** What set `budgetBytes`: a budget given, the wasm heap, or the memory assumed on WebGPU (which reports none). */
  limit: 'budget' | 'wasm-heap' | 'webgpu-assumed' | null;
  /** The largest single tensor of a step at the chosen micro-batch (on WebGPU it must fit one storage binding). */
  largestTensor: LargestTensor;
  /** The most bytes one tensor may have on this device (WebGPU's maxStorageBufferBindingSize or maxBufferSize); null elsewhere. */
  tensorLimitBytes: number | null;
  /** True when the tensor limit, not the budget, lowered the micro-batch. */
  limitedByTensorSize: boolean;
  /** Latent height x width the estimate is for. */
  largest: { height: number; width: number };
  /** True when micro-batch or checkpointing were chosen to fit the budget. */
  automatic: boolean;
  batchSize: number;
  backend: string;
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** '16GB' -> 16e9, '16GiB' -> 16 * 2^30; a number is taken as bytes. Throws naming the field. */
export function parseByteSize(value: string | number, field = 'memoryBudget'): number {
  if (typeof value === 'number') {
    if (!(value > 0) || !Number.isFinite(value)) throw new Error(`${field} must be a positive number of bytes, got ${value}`);
    return value;
  }
  const match = /^\s*([0-9]*\.?[0-9]+)\s*([a-z]*)\s*$/i.exec(value);
  const unit = match ? (match[2] || 'b').toLowerCase() : '';
  if (!match || !(unit in UNITS) || !(Number(match[1]) > 0)) {
    throw new Error(`${field} must look like '16GB', '12GiB' or '800MB', got ${JSON.stringify(value)}`);
  }
  return Number(match[1]) * UNITS[unit];
}

/**
 * Chooses how a batch is run: the largest micro-batch (fewest accumulation passes) whose
 * training step fits the budget, without gradient checkpointing when that fits, with it
 * otherwise. Without a budget the given (or default) settings are only estimated.
 */
export function planMemory(options: PlanMemoryOptions): MemoryPlan {
  const { config, batchSize, estimate } = options;
  if (options.latentSizes.length === 0) throw new Error('latentSizes must not be empty');
  const largest = options.latentSizes.reduce((a, b) => (b.height * b.width > a.height * a.width ? b : a));
  const backend = options.backend ?? tf.getBackend() ?? 'unknown';
  const peak = (microBatch: number, checkpointing: boolean) => estimate(config, { batch: microBatch, ...largest, training: true, checkpointing, backend });
  const limits = options.limits !== undefined ? options.limits : backend === 'webgpu' ? deviceBufferLimits() : null;
  const tensorLimitBytes = limits ? Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize) : null;
  // As the model lays a step out on this backend (batched or per-head score maps, or flash attention on webgpu).
  const largestAt = (microBatch: number) => estimateMemory(config, { batch: microBatch, ...largest, training: true, backend, limits }).largestTensor;
  const fitsTensorLimit = (microBatch: number) => tensorLimitBytes === null || largestAt(microBatch).bytes <= tensorLimitBytes;
  const budget = options.budget === undefined ? null : parseByteSize(options.budget);
  const heap = backend === 'wasm' ? WASM_HEAP_USABLE_FRACTION * WASM_HEAP_BYTES : null;
  const limit: MemoryPlan['limit'] = heap !== null && (budget === null || heap < budget) ? 'wasm-heap' : budget !== null ? 'budget' : backend === 'webgpu' ? 'webgpu-assumed' : null;
  const budgetBytes = limit === 'wasm-heap' ? heap : limit === 'webgpu-assumed' ? WEBGPU_ASSUMED_MEMORY_BYTES : budget;
  const configured = { microBatch: options.microBatch ?? batchSize, checkpointing: options.checkpointing ?? false };
  const configuredPeak = peak(configured.microBatch, configured.checkpointing);
  const common = { budgetBytes, limit, largest, batchSize, backend, tensorLimitBytes };
  // Without a budget, the configured settings stand unless they overflow the wasm heap, WebGPU's
  // assumed memory or a WebGPU device's binding limit.
  const configuredFits = fitsTensorLimit(configured.microBatch);
  if ((budgetBytes === null || (budget === null && configuredPeak <= budgetBytes)) && configuredFits) {
    return { ...configured, peakBytes: configuredPeak, ...common, largestTensor: largestAt(configured.microBatch), automatic: false, limitedByTensorSize: false };
  }
  const microBatches = options.microBatch !== undefined ? [options.microBatch] : descendingMicroBatches(batchSize);
  const checkpointings = options.checkpointing !== undefined ? [options.checkpointing] : [false, true];
  const fitting = microBatches.filter(fitsTensorLimit);
  if (fitting.length === 0) {
    const tensor = largestAt(microBatches[microBatches.length - 1]);
    const fix = options.microBatch !== undefined ? 'a smaller microBatch (--micro-batch) or smaller latents' : 'smaller latents (a lower resolution)';
    throw new Error(
      `${backend}: at micro-batch ${microBatches[microBatches.length - 1]} and latents ${largest.height}x${largest.width} a training step creates the ${tensor.name} = ` +
        `[${tensor.shape.join(', ')}] (${formatBytes(tensor.bytes)}), more than this device binds in one buffer (${formatBytes(tensorLimitBytes!)}); use ${fix}`,
    );
  }
  const limitedByTensorSize = fitting[0] !== microBatches[0];
  let smallest = Infinity;
  for (const microBatch of fitting) {
    for (const checkpointing of checkpointings) {
      const peakBytes = peak(microBatch, checkpointing);
      smallest = Math.min(smallest, peakBytes);
      if (budgetBytes === null || peakBytes <= budgetBytes) {
        return { microBatch, checkpointing, peakBytes, ...common, largestTensor: largestAt(microBatch), automatic: true, limitedByTensorSize };
      }
    }
  }
  const what =
    limit === 'wasm-heap'
      ? `the wasm backend's heap (${formatBytes(budgetBytes!)} usable; a native backend has no such cap)`
      : limit === 'webgpu-assumed'
        ? `the ${formatBytes(budgetBytes!)} assumed on WebGPU (which reports no memory size; pass memoryBudget / --memory-budget with your GPU's)`
        : `memoryBudget ${formatBytes(budgetBytes!)}`;
  throw new Error(
    `${what} is too small: the smallest setting tried needs ${formatBytes(smallest)} ` +
      `for latents ${largest.height}x${largest.width} (micro-batch ${fitting[fitting.length - 1]}, checkpointing ${checkpointings.includes(true) ? 'on' : 'off'})`,
  );
}

/** batch, then halving (rounded up) down to 1: 8 -> 8, 4, 2, 1. */
function descendingMicroBatches(batchSize: number): number[] {
  const sizes: number[] = [];
  for (let size = batchSize; size >= 1; size = size === 1 ? 0 : Math.ceil(size / 2)) sizes.push(size);
  return sizes;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.round(bytes / 1024)} KiB`;
}

/** One line for the log: what was estimated and chosen. */
export function describePlan(plan: MemoryPlan): string {
  const accumulation = Math.ceil(plan.batchSize / plan.microBatch);
  const limit =
    plan.limit === 'wasm-heap'
      ? `${formatBytes(plan.budgetBytes!)} usable wasm heap`
      : plan.limit === 'webgpu-assumed'
        ? `${formatBytes(plan.budgetBytes!)} assumed GPU memory (WebGPU reports none; set --memory-budget)`
        : `${formatBytes(plan.budgetBytes!)} budget`;
  const tensorLimit = plan.limitedByTensorSize
    ? ` and the largest tensor, ${plan.largestTensor.name} ${formatBytes(plan.largestTensor.bytes)}, under the device's ${formatBytes(plan.tensorLimitBytes!)} binding limit`
    : '';
  const how = plan.automatic ? `chosen for the ${limit}${tensorLimit}` : plan.limit === 'webgpu-assumed' ? `as configured; fits the ${limit}` : 'as configured';
  return (
    `memory: estimated peak ${formatBytes(plan.peakBytes)} per training step on ${plan.backend} ` +
    `(latents ${plan.largest.height}x${plan.largest.width}, batch ${plan.batchSize} as ${accumulation} x micro-batch ${plan.microBatch}, ` +
    `gradient checkpointing ${plan.checkpointing ? 'on' : 'off'}; ${how})`
  );
}

import * as tf from '@tensorflow/tfjs-core';
import { resolveConfig, tokenLayout, type DiTConfig } from './config.js';
import { deviceBufferLimits, largestBufferBytes, type DeviceBufferLimits } from './internals/device-limits.js';
import { largestBatchWithin, largestTensor, scoreMaps, type LargestTensor } from './largest-tensor.js';
import { flashAttentionApplies } from './webgpu/flash-attention.js';
import { webgpuKernelEnabled } from './webgpu/switches.js';
import { countParameters, stateDictShapes } from './state-dict.js';

const FLOAT_BYTES = 4;

/**
 * Fitted constants of the memory model below, in units of one [B*N, D] float tensor (S) or
 * one [N, N] attention map (A). Measured with tf.profile on tfjs 4.22 for this implementation
 * (cpu and wasm count identically), over 13 configs from hidden 64 to 1024; the estimates are
 * within 6% of the measured peaks there. Re-measure them when the block code changes.
 */
const MODEL = {
  /** Inference: the MLP phase (input, residual, [T, 4D] hidden, GELU temporaries, views). */
  inferenceMlp: 26,
  /** Inference: the attention phase is dominated by one head's scores and probabilities. */
  inferenceAttentionRows: 0.5,
  inferenceAttentionMaps: 2.5,
  /** Training: activations a block keeps for its backward pass (13 S), or only its input when checkpointed. */
  savedPerBlock: 13,
  savedPerCheckpointedBlock: 1,
  /** Transient peak inside one block's backward pass, and its attention maps. */
  backwardTransient: 21.5,
  backwardAttentionMaps: 2.25,
} as const;

export interface MemoryEstimateOptions {
  /** Samples per step. Default 1. */
  batch?: number;
  /** Latent height and width (not pixels). Default 64 x 64 (a 512 x 512 image). */
  height?: number;
  width?: number;
  /** Estimate a training step (forward + backward) rather than a forward pass. Default false. */
  training?: boolean;
  /** Gradient checkpointing on (training only). Default false. */
  checkpointing?: boolean;
  /** Parameter-sized optimiser tensors to include (AdamW: 2). Default 0. */
  optimizerStates?: number;
  /**
   * The backend the step runs on. It decides how attention is laid out (wasm and cpu: one [N, N]
   * head at a time; others: heads batched in chunks under 16 MB or the device's binding limit)
   * and, on 'webgpu', adds tfjs-webgpu's buffer pool to `deviceBytes`. Default 'wasm' (the
   * layout the constants were fitted on).
   */
  backend?: string;
  /** A WebGPU device's buffer limits. Default: the active backend's (`deviceBufferLimits()`), when `backend` is 'webgpu'. */
  limits?: DeviceBufferLimits | null;
  /**
   * Attention runs through @dit's flash kernels, which hold no [N, N] score map. Default: on
   * 'webgpu', whether they apply (`flashAttentionApplies`: the `attention` kernel switched on
   * and the head dim supported), else false.
   */
  flashAttention?: boolean;
  /**
   * @dit's WebGPU block kernels run (flash attention, LayerNorm, adaLN, GELU), which changes the
   * buffer pool's factor. Default: on 'webgpu', flash attention applies and the other three are
   * switched on (`webgpuKernelSwitches`).
   */
  webgpuKernels?: boolean;
}

/** Peak bytes of one forward pass or training step, as tfjs counts them (`tf.memory().numBytes`). */
export interface MemoryEstimate {
  parameterBytes: number;
  /** Parameter gradients alive at the peak. */
  gradientBytes: number;
  optimizerBytes: number;
  /** x, t and text. */
  inputBytes: number;
  /** Everything else alive at the peak: saved activations, input gradients, temporaries. */
  activationBytes: number;
  totalBytes: number;
  /**
   * Bytes the backend holds at the peak: `totalBytes`, except on WebGPU, where tfjs-webgpu keeps
   * every freed buffer for reuse by exact size and the pool grows past the tensors alive (see
   * {@link WEBGPU_POOL_FACTOR} and {@link WEBGPU_OPTIMIZER_TEMPORARIES}).
   */
  deviceBytes: number;
  /** Parameters, optimiser states and inputs: alive through the whole step. */
  persistentBytes: number;
  /** The largest single tensor (WebGPU binds each tensor whole: it must fit `maxStorageBufferBindingSize`). */
  largestTensor: LargestTensor;
  /** Sequence length N (text + image tokens). */
  sequenceLength: number;
}

/**
 * tfjs-webgpu's BufferManager never frees a buffer: a released one waits in a pool keyed by its
 * exact byte size and usage until a tensor of that very size asks again, so over a step the pool
 * holds, for every size, the most buffers of that size ever alive at once. The transient bytes
 * of a forward + backward pass (everything but parameters, optimiser states and inputs, as this
 * estimate counts them) grow by this factor on WebGPU with tfjs' generic kernels. MEASURED
 * (bench/webgpu-memory.mjs on lavapipe, tfjs 4.22: the pool's allocated bytes over AdamW steps,
 * six configurations from hidden 64 to 512, with and without checkpointing: 1.29 to 2.02); the
 * largest is used. docs/performance.md has the table.
 */
export const WEBGPU_POOL_FACTOR = 2.02;

/**
 * The same with @dit's WebGPU kernels (flash attention, LayerNorm, adaLN, GELU: src/webgpu/),
 * which create fewer and fewer kinds of temporaries. MEASURED as above, with the kernels on:
 * 0.81 to 1.13; the largest is used.
 */
export const WEBGPU_POOL_FACTOR_WITH_KERNELS = 1.13;

/** The kernels whose use {@link WEBGPU_POOL_FACTOR_WITH_KERNELS} was measured with. */
const POOL_MEASURED_KERNELS = ['attention', 'layerNorm', 'adaLN', 'gelu'] as const;

/**
 * Parameter-shaped temporaries of one AdamW update (train/src/optim/adamw.ts computes 14 per
 * parameter). tfjs-webgpu returns a disposed tensor's buffer to the pool only at its next queue
 * submission (every 15 kernels), so the pool keeps about this many buffers of every distinct
 * parameter size: measured 9.7 to 13.9 times the sum of the distinct sizes (same runs as above).
 */
export const WEBGPU_OPTIMIZER_TEMPORARIES = 14;

/**
 * Estimates the peak memory of this implementation for a config and input size. tfjs counts a
 * reshaped view or a tensor saved for the backward pass at full size, so these bytes are an
 * upper bound of what the backend holds.
 */
export function estimateMemory(config: Partial<DiTConfig>, options: MemoryEstimateOptions = {}): MemoryEstimate {
  const full = resolveConfig(config);
  const { batch = 1, height = 64, width = 64, training = false, checkpointing = false, optimizerStates = 0, backend = 'wasm' } = options;
  if (!Number.isInteger(batch) || batch <= 0) throw new Error(`estimateMemory: batch must be a positive integer, found ${batch}`);
  const { limits, flashAttention } = webgpuOptions(full, backend, options);
  const { sequenceLength: tokens } = tokenLayout(full, height, width);
  const { hiddenSize: d, depth, textDim, textLength, inChannels, numHeads } = full;
  const webgpuKernels = options.webgpuKernels ?? (flashAttention && POOL_MEASURED_KERNELS.every((name) => webgpuKernelEnabled(name)));
  const rows = FLOAT_BYTES * batch * tokens * d; // S
  const maps = flashAttention ? 0 : scoreMaps(tokens, batch * numHeads, backend, limits).bytes; // A
  const parameterBytes = FLOAT_BYTES * countParameters(full);
  const blockBytes = FLOAT_BYTES * (18 * d * d + 15 * d);
  const textRows = FLOAT_BYTES * batch * textLength * textDim;
  const inputBytes = FLOAT_BYTES * (batch * inChannels * height * width + batch + batch * textLength * textDim);
  const optimizerBytes = training ? optimizerStates * parameterBytes : 0;
  let gradientBytes = 0;
  let activationBytes: number;
  if (!training) {
    activationBytes = Math.max(MODEL.inferenceMlp * rows, MODEL.inferenceAttentionRows * rows + MODEL.inferenceAttentionMaps * maps);
  } else {
    // Saved activations stay until the backward pass ends (tfjs frees the tape at the end), and
    // each block's input gradient is kept too; the peak is in the last block processed (block 0)
    // or, when parameters dominate, at the end with every gradient.
    const saved =
      textRows +
      depth * (checkpointing ? MODEL.savedPerCheckpointedBlock : MODEL.savedPerBlock) * rows +
      depth * rows +
      (checkpointing ? MODEL.savedPerBlock * rows : 0);
    const inLastBlock = saved + MODEL.backwardTransient * rows + MODEL.backwardAttentionMaps * maps;
    const atEnd = saved + rows + textRows;
    if (inLastBlock + (depth - 1) * blockBytes >= atEnd + parameterBytes) {
      gradientBytes = (depth - 1) * blockBytes;
      activationBytes = inLastBlock;
    } else {
      gradientBytes = parameterBytes;
      activationBytes = atEnd;
    }
  }
  const totalBytes = parameterBytes + gradientBytes + optimizerBytes + inputBytes + activationBytes;
  const persistentBytes = parameterBytes + optimizerBytes + inputBytes;
  return {
    parameterBytes,
    gradientBytes,
    optimizerBytes,
    inputBytes,
    activationBytes,
    totalBytes,
    deviceBytes:
      backend === 'webgpu'
        ? webgpuDeviceBytes(full, { totalBytes, persistentBytes, optimizer: optimizerStates > 0, poolFactor: webgpuKernels ? WEBGPU_POOL_FACTOR_WITH_KERNELS : WEBGPU_POOL_FACTOR })
        : totalBytes,
    persistentBytes,
    largestTensor: largestTensor(full, { batch, height, width, backend, limits, flashAttention }),
    sequenceLength: tokens,
  };
}

/**
 * What tfjs-webgpu allocates for a step: the persistent tensors, the transient ones times the
 * pool factor, and, with an optimiser, its update's temporaries for every distinct parameter size.
 */
function webgpuDeviceBytes(config: DiTConfig, step: { totalBytes: number; persistentBytes: number; optimizer: boolean; poolFactor: number }): number {
  const pooled = step.persistentBytes + step.poolFactor * (step.totalBytes - step.persistentBytes);
  if (!step.optimizer) return pooled;
  const distinctSizes = new Set(stateDictShapes(config).map(({ shape }) => FLOAT_BYTES * shape.reduce((a, b) => a * b, 1)));
  return pooled + WEBGPU_OPTIMIZER_TEMPORARIES * [...distinctSizes].reduce((a, b) => a + b, 0);
}

/** `limits` and `flashAttention` of the options, defaulted as {@link MemoryEstimateOptions} says. */
function webgpuOptions(config: DiTConfig, backend: string, options: Pick<MemoryEstimateOptions, 'limits' | 'flashAttention'>) {
  const limits = options.limits !== undefined ? options.limits : backend === 'webgpu' ? deviceBufferLimits() : null;
  const flashAttention = options.flashAttention ?? (backend === 'webgpu' && flashAttentionApplies(config.hiddenSize / config.numHeads, { backend }));
  return { limits, flashAttention };
}

/** The wasm backend's heap cannot grow past 4 GiB (32-bit WebAssembly memory). */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;

/**
 * Share of the wasm heap an estimate may use. The heap grows past the bytes tfjs counts
 * (allocator fragmentation, XNNPACK packing buffers): measured 1.26x the counted peak for a
 * original-width, depth-2 training step at batch 8, so 0.7 x 1.26 leaves ~12% spare. The model's
 * own check and the trainer's memory plan both use it.
 */
export const WASM_HEAP_USABLE_FRACTION = 0.7;

export interface BackendFitOptions extends MemoryEstimateOptions {
  /** Backend to check for. Default the active one (`tf.getBackend()`). 'wasm' has a heap cap, 'webgpu' a binding limit per tensor. */
  backend?: string;
  /** Heap cap. Default {@link WASM_HEAP_BYTES}. */
  heapBytes?: number;
  /** Share of the cap the estimate may use. Default {@link WASM_HEAP_USABLE_FRACTION}. */
  usableFraction?: number;
}

/** The estimated step does not fit in the backend's memory. */
export class MemoryLimitError extends Error {
  constructor(
    message: string,
    readonly estimate: MemoryEstimate,
    readonly limitBytes: number,
  ) {
    super(message);
    this.name = 'MemoryLimitError';
  }
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

/**
 * Throws a {@link MemoryLimitError} when a forward pass or training step would not fit the
 * wasm backend's 4 GiB heap (a wasm abort there is unrecoverable), or would create a tensor
 * larger than a WebGPU device binds in one buffer (WebGPU would reject the kernel's bind group
 * and the result would be garbage); returns the estimate otherwise. Other backends always pass.
 */
export function assertFitsBackend(config: Partial<DiTConfig>, options: BackendFitOptions = {}): MemoryEstimate {
  const { backend = tf.getBackend(), heapBytes = WASM_HEAP_BYTES, usableFraction = WASM_HEAP_USABLE_FRACTION, ...shape } = options;
  const estimate = estimateMemory(config, { ...shape, backend });
  const { batch = 1, height = 64, width = 64, training = false, checkpointing = false } = shape;
  const full = resolveConfig(config);
  const what = training ? `a training step${checkpointing ? ' with gradient checkpointing' : ''}` : 'a forward pass';
  const at = `at batch ${batch}, ${height}x${width} latents (${estimate.sequenceLength} tokens, hidden ${full.hiddenSize}, depth ${full.depth})`;
  const { limits, flashAttention } = webgpuOptions(full, backend, shape);
  if (limits && estimate.largestTensor.bytes > largestBufferBytes(limits)) {
    const { name, shape: dims, bytes } = estimate.largestTensor;
    const fitting = largestBatchWithin(full, { batch, height, width, backend, limits, flashAttention });
    const fix =
      fitting > 0
        ? `Use batch ${fitting} or less${training ? ` (in training: microBatch ${fitting}, \`--micro-batch ${fitting}\`, accumulates the rest)` : ''}.`
        : 'Not even one sample fits: use smaller latents (a lower resolution).';
    throw new MemoryLimitError(
      `SingleStreamDiTV2: ${what} ${at} creates the ${name} = [${dims.join(', ')}] float32 (${mib(bytes)}), more than this WebGPU device binds in one buffer ` +
        `(maxStorageBufferBindingSize ${mib(limits.maxStorageBufferBindingSize)}, maxBufferSize ${mib(limits.maxBufferSize)}). ${fix}`,
      estimate,
      largestBufferBytes(limits),
    );
  }
  const limit = heapBytes * usableFraction;
  if (backend !== 'wasm' || estimate.totalBytes <= limit) return estimate;
  const hints: string[] = [];
  if (training && !checkpointing) {
    const withCheckpointing = estimateMemory(config, { ...shape, backend, checkpointing: true }).totalBytes;
    hints.push(`gradientCheckpointing: true (about ${gib(withCheckpointing)})`);
  }
  if (batch > 1) hints.push(`batch ${Math.floor(batch / 2)} (about ${gib(estimateMemory(config, { ...shape, backend, batch: Math.floor(batch / 2) }).totalBytes)})`);
  hints.push('a native backend (@tensorflow/tfjs-node), which has no such cap');
  throw new MemoryLimitError(
    `SingleStreamDiTV2: ${what} ${at} ` +
      `needs about ${gib(estimate.totalBytes)} (parameters ${gib(estimate.parameterBytes)}, gradients ${gib(estimate.gradientBytes)}, ` +
      `optimizer ${gib(estimate.optimizerBytes)}, activations ${gib(estimate.activationBytes)}), more than the ${gib(limit)} usable of the wasm backend's ` +
      `${gib(heapBytes)} heap. Try ${hints.join(', or ')}.`,
    estimate,
    limit,
  );
}

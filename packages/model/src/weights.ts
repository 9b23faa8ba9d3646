import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { openSafetensors, writeSafetensors, type SafetensorsDtype, type TensorSource } from '@dit/core';
import { configToJson, type DiTConfig } from './config.js';
import type { ParameterSlot } from './internals/parameters.js';
import { originalIncompatibilities, originalIncompatibilityWarning, warnOnce } from './original-compat.js';

export interface LoadWeightsOptions {
  /**
   * Fail, before changing any weight, on a missing, unexpected or mis-shaped tensor. With
   * false, load every tensor that fits and report the rest. Default true.
   */
  strict?: boolean;
}

export interface ShapeMismatch {
  name: string;
  /** PyTorch-layout shape the model needs. */
  expected: number[];
  found: number[];
  /** Set when the dtype, not the shape, is the problem. */
  dtype?: string;
}

/** What a load did. */
export interface LoadReport {
  /** State-dict names that were loaded. */
  loaded: string[];
  /** Model parameters absent from the file (left unchanged). */
  missing: string[];
  /** File tensors the model has no parameter for (ignored). */
  unexpected: string[];
  /** Tensors present under the right name with the wrong shape or a non-float dtype (skipped). */
  mismatched: ShapeMismatch[];
  /**
   * The wrapper prefix stripped from every key, or '': `_orig_mod.` (torch.compile), `module.`
   * (DataParallel, DDP, AveragedModel), or nested ones such as `module._orig_mod.`.
   */
  strippedPrefix: string;
  /** Keys of the wrappers themselves, not loaded: AveragedModel's `n_averaged`. */
  wrapperKeys: string[];
  /** Stored dtypes seen (F32, F16, BF16). */
  dtypes: string[];
}

/** A tensor in PyTorch layout. */
export interface StateDictTensor {
  shape: number[];
  data: Float32Array;
}

export class WeightsError extends Error {
  constructor(
    message: string,
    readonly report?: LoadReport,
  ) {
    super(message);
    this.name = 'WeightsError';
  }
}

/** Key prefixes of PyTorch's wrappers: torch.compile (`_orig_mod.`), DataParallel/DDP and AveragedModel (`module.`). */
const WRAPPER_PREFIXES = ['_orig_mod.', 'module.'];
/** The update count torch.optim.swa_utils.AveragedModel keeps beside its `module.*` weights. */
const AVERAGED_MODEL_COUNT = 'n_averaged';
const FLOAT_DTYPES = new Set(['F32', 'F16', 'BF16', 'F64']);

/**
 * The wrapper prefix shared by every key, however deeply wrappers nest (`module._orig_mod.` for
 * an AveragedModel or DDP of a compiled model, `_orig_mod.module.` for a compiled DDP model), and
 * the keys that are the wrappers' own (AveragedModel's `n_averaged`).
 */
function unwrapKeys(keys: string[], expected: Set<string>): { prefix: string; wrapperKeys: string[] } {
  if (keys.some((key) => expected.has(key))) return { prefix: '', wrapperKeys: [] };
  const averaged = keys.includes(AVERAGED_MODEL_COUNT) && keys.length > 1 && keys.every((key) => key === AVERAGED_MODEL_COUNT || key.startsWith('module.'));
  const wrapperKeys = averaged ? [AVERAGED_MODEL_COUNT] : [];
  const weights = keys.filter((key) => !wrapperKeys.includes(key));
  let prefix = '';
  while (weights.length > 0 && !weights.some((key) => expected.has(key.slice(prefix.length)))) {
    const next = WRAPPER_PREFIXES.find((wrapper) => weights.every((key) => key.startsWith(prefix + wrapper)));
    if (!next) break;
    prefix += next;
  }
  return { prefix, wrapperKeys };
}

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function describeProblems(path: string, report: LoadReport): string {
  const lines: string[] = [];
  const limit = 12;
  const list = <T>(items: T[], title: string, show: (item: T) => string) => {
    if (items.length === 0) return;
    lines.push(`${title} (${items.length}):`);
    for (const item of items.slice(0, limit)) lines.push(`  ${show(item)}`);
    if (items.length > limit) lines.push(`  ... and ${items.length - limit} more`);
  };
  list(report.mismatched, 'wrong shape or dtype', (m) =>
    m.dtype ? `${m.name}: dtype ${m.dtype} is not a float type` : `${m.name}: expected ${shapeText(m.expected)}, found ${shapeText(m.found)}`,
  );
  list(report.missing, 'missing from the file', (name) => name);
  list(report.unexpected, 'not parameters of this model', (name) => name);
  return `${path}: checkpoint does not match the model (strict loading; pass { strict: false } to load what fits)\n${lines.join('\n')}`;
}

/** Compares a file's tensors with the model's parameters without reading any data. */
function planLoad(source: TensorSource, slots: ParameterSlot[]): { report: LoadReport; fileKeyOf: Map<string, string> } {
  const expectedNames = new Set(slots.map((slot) => slot.name));
  const keys = source.keys();
  const { prefix: strippedPrefix, wrapperKeys } = unwrapKeys(keys, expectedNames);
  const fileKeyOf = new Map(keys.filter((key) => !wrapperKeys.includes(key)).map((key) => [key.startsWith(strippedPrefix) ? key.slice(strippedPrefix.length) : key, key]));
  const report: LoadReport = { loaded: [], missing: [], unexpected: [], mismatched: [], strippedPrefix, wrapperKeys, dtypes: [] };
  const dtypes = new Set<string>();
  for (const slot of slots) {
    const key = fileKeyOf.get(slot.name);
    if (key === undefined) {
      report.missing.push(slot.name);
      continue;
    }
    const info = source.info(key);
    if (!FLOAT_DTYPES.has(info.dtype)) {
      report.mismatched.push({ name: slot.name, expected: slot.torchShape, found: info.shape, dtype: info.dtype });
    } else if (info.shape.length !== slot.torchShape.length || info.shape.some((d, i) => d !== slot.torchShape[i])) {
      report.mismatched.push({ name: slot.name, expected: slot.torchShape, found: info.shape });
    } else {
      report.loaded.push(slot.name);
      dtypes.add(info.dtype);
    }
  }
  for (const name of fileKeyOf.keys()) if (!expectedNames.has(name)) report.unexpected.push(fileKeyOf.get(name)!);
  report.dtypes = [...dtypes];
  return { report, fileKeyOf };
}

/** Reads a PyTorch-named checkpoint into the variables, one tensor at a time. */
export async function loadWeightsInto(slots: ParameterSlot[], path: string, options: LoadWeightsOptions = {}): Promise<LoadReport> {
  const { strict = true } = options;
  const source = await openSafetensors(path);
  try {
    const { report, fileKeyOf } = planLoad(source, slots);
    const problems = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (strict && problems > 0) throw new WeightsError(describeProblems(path, report), report);
    const loaded = new Set(report.loaded);
    for (const slot of slots) {
      if (!loaded.has(slot.name)) continue;
      const tensor = await source.read(fileKeyOf.get(slot.name)!);
      tf.tidy(() => {
        const value = tf.tensor(tensor.data as Float32Array, tensor.shape, 'float32');
        slot.variable.assign(slot.transposed ? tf.transpose(value) : value);
      });
    }
    return report;
  } finally {
    await source.close();
  }
}

/** The parameters in PyTorch layout, in state-dict order. */
export async function stateDictOf(slots: ParameterSlot[]): Promise<Map<string, StateDictTensor>> {
  const out = new Map<string, StateDictTensor>();
  for (const slot of slots) {
    const value = slot.transposed ? tf.transpose(slot.variable) : slot.variable;
    const data = (await value.data()) as Float32Array;
    if (value !== slot.variable) value.dispose();
    out.set(slot.name, { shape: [...slot.torchShape], data: Float32Array.from(data) });
  }
  return out;
}

export interface SaveWeightsOptions {
  /** Stored float type. Default 'F32'. */
  dtype?: Extract<SafetensorsDtype, 'F32' | 'F16' | 'BF16'>;
  /** Extra `__metadata__` strings. `format: pt` and `dit_config` (config JSON) are always written. */
  metadata?: Record<string, string>;
  /**
   * Receives the warning given when the original project's code cannot run the weights (text
   * length other than 256, patch size other than 2). Default: a Node process warning
   * (code DIT_ORIGINAL_INCOMPATIBLE), once per message in a process.
   */
  onWarning?: (message: string) => void;
}

/** Writes PyTorch names and layouts; the config goes into the metadata as `dit_config`. */
export async function saveWeightsFrom(slots: ParameterSlot[], config: DiTConfig, path: string, options: SaveWeightsOptions = {}): Promise<void> {
  const warning = originalIncompatibilityWarning(config, path);
  if (warning) {
    if (options.onWarning) options.onWarning(warning);
    else warnOnce(warning, originalIncompatibilities(config).join());
  }
  const tensors = await stateDictOf(slots);
  await mkdir(dirname(path), { recursive: true });
  await writeSafetensors(path, tensors, {
    dtype: options.dtype ?? 'F32',
    metadata: { format: 'pt', ...options.metadata, dit_config: JSON.stringify(configToJson(config)) },
  });
}

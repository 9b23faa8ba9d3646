import type { NamedVariables } from '../types.js';
import { AdamW } from './adamw.js';
import { AdamW8bit, type AdamW8bitOptions } from './adamw-8bit.js';
import type { Optimizer, OptimizerKind } from './optimizer.js';

export interface OptimizerOptions extends AdamW8bitOptions {
  /**
   * 'adamw': float32 moments on the backend, exactly PyTorch's AdamW. 'adamw-8bit': 8-bit
   * blockwise moments as bitsandbytes' AdamW8bit (the original's choice), a quarter of the
   * memory, slower steps. Default 'adamw'.
   */
  kind?: OptimizerKind;
}

export const OPTIMIZER_DEFAULTS = { kind: 'adamw' } as const satisfies OptimizerOptions;

export function createOptimizer(params: NamedVariables, options: OptimizerOptions = {}): Optimizer {
  const { kind = OPTIMIZER_DEFAULTS.kind, blockSize, min8bitSize, ...adam } = options;
  if (kind === 'adamw') return new AdamW(params, adam);
  if (kind === 'adamw-8bit') return new AdamW8bit(params, { ...adam, blockSize, min8bitSize });
  throw new Error(`optimizer.kind must be 'adamw' or 'adamw-8bit', got ${JSON.stringify(kind)}`);
}

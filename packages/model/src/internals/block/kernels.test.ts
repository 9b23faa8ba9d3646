import { afterEach, describe, expect, it } from 'vitest';
import { blockKernels, clearBlockKernels, DEFAULT_BLOCK_KERNELS, registerBlockKernels, type BlockKernels } from './kernels.js';

const backend = 'kernels-test-backend';
afterEach(() => clearBlockKernels(backend));

describe('registerBlockKernels', () => {
  it('a step given as undefined keeps the earlier registration or the default', () => {
    const gelu: BlockKernels['gelu'] = (x) => DEFAULT_BLOCK_KERNELS.gelu(x);
    registerBlockKernels(backend, { gelu });
    registerBlockKernels(backend, { gelu: undefined, attention: undefined });
    const kernels = blockKernels(backend);
    expect(kernels.gelu).toBe(gelu);
    expect(kernels.attention).toBe(DEFAULT_BLOCK_KERNELS.attention);
    expect(Object.values(kernels).every((kernel) => typeof kernel === 'function')).toBe(true);
  });
});

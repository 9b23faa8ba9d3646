import { afterEach, describe, expect, it } from 'vitest';
import { parseWebgpuKernelSwitches, setWebgpuKernelsEnabled, webgpuKernelEnabled, webgpuKernelSwitches } from './switches.js';

describe('WebGPU kernel switches', () => {
  afterEach(() => setWebgpuKernelsEnabled('env'));

  it('reads DIT_WEBGPU_KERNELS: on, off, a list, or all but a list', () => {
    const on = { attention: true, layerNorm: true, adaLN: true, gelu: true, matmul: true };
    expect(parseWebgpuKernelSwitches(undefined)).toEqual(on);
    expect(parseWebgpuKernelSwitches(' ON ')).toEqual(on);
    expect(parseWebgpuKernelSwitches('off')).toEqual({ attention: false, layerNorm: false, adaLN: false, gelu: false, matmul: false });
    expect(parseWebgpuKernelSwitches('attention, gelu')).toEqual({ attention: true, layerNorm: false, adaLN: false, gelu: true, matmul: false });
    expect(parseWebgpuKernelSwitches('-matmul,-adaln')).toEqual({ ...on, matmul: false, adaLN: false });
    expect(() => parseWebgpuKernelSwitches('attention,softmax')).toThrow(/unknown kernel 'softmax' \(known: attention, layerNorm, adaLN, gelu, matmul/);
  });

  it('are changed at run time, all at once or one by one', () => {
    setWebgpuKernelsEnabled(false);
    expect(Object.values(webgpuKernelSwitches())).toEqual([false, false, false, false, false]);
    setWebgpuKernelsEnabled({ gelu: true });
    expect(webgpuKernelEnabled('gelu')).toBe(true);
    expect(webgpuKernelEnabled('attention')).toBe(false);
    setWebgpuKernelsEnabled(true);
    expect(webgpuKernelEnabled('attention')).toBe(true);
  });
});

/**
 * On/off switches of @dit's WebGPU kernels, so a benchmark can A/B each against tfjs' generic
 * ops on the same GPU (docs/performance.md). Every kernel is on by default.
 *
 * `DIT_WEBGPU_KERNELS` sets the start state: `off` (or `none`, `0`) runs every step through
 * tfjs' generic ops; `attention,gelu` runs only the kernels listed; `-matmul` runs all but the
 * ones listed. {@link setWebgpuKernelsEnabled} changes it at run time.
 */
export const WEBGPU_KERNEL_NAMES = ['attention', 'layerNorm', 'adaLN', 'gelu', 'matmul'] as const;

/**
 * - `attention`: flash attention forward and backward (no [B * heads, N, N] score map).
 * - `layerNorm`: LayerNorm and its backward pass, as row kernels.
 * - `adaLN`: the modulation x_hat (1 + scale) + shift, the gated residual x + gate * y, and
 *   their backward passes (per-sample column sums for the vectors' gradients).
 * - `gelu`: GELU (tanh) forward and backward, one pass each.
 * - `matmul`: @dit's tiled matrix product for the large products of a block, and the bias
 *   gradients' sums over rows.
 */
export type WebgpuKernelName = (typeof WEBGPU_KERNEL_NAMES)[number];

function parseSwitches(value: string | undefined): Record<WebgpuKernelName, boolean> {
  const all = (on: boolean) => Object.fromEntries(WEBGPU_KERNEL_NAMES.map((name) => [name, on])) as Record<WebgpuKernelName, boolean>;
  const text = (value ?? '').trim().toLowerCase();
  if (text === '' || text === 'on' || text === 'all' || text === '1') return all(true);
  if (text === 'off' || text === 'none' || text === '0') return all(false);
  const items = text.split(',').map((item) => item.trim()).filter(Boolean);
  const exclusions = items.every((item) => item.startsWith('-'));
  const state = all(exclusions);
  for (const item of items) {
    const name = item.replace(/^-/, '');
    const known = WEBGPU_KERNEL_NAMES.find((kernel) => kernel.toLowerCase() === name);
    if (!known) throw new Error(`DIT_WEBGPU_KERNELS: unknown kernel '${name}' (known: ${WEBGPU_KERNEL_NAMES.join(', ')}; or on/off)`);
    state[known] = !exclusions;
  }
  return state;
}

let switches: Record<WebgpuKernelName, boolean> | undefined;

function current(): Record<WebgpuKernelName, boolean> {
  switches ??= parseSwitches(typeof process === 'undefined' ? undefined : process.env.DIT_WEBGPU_KERNELS);
  return switches;
}

/**
 * Turns @dit's WebGPU kernels on or off: all of them (a boolean), some of them (an object), or
 * back to what `DIT_WEBGPU_KERNELS` says ('env'). Off, each step takes tfjs' generic ops.
 */
export function setWebgpuKernelsEnabled(enabled: boolean | Partial<Record<WebgpuKernelName, boolean>> | 'env'): void {
  if (enabled === 'env') {
    switches = undefined;
    return;
  }
  const next = { ...current() };
  for (const name of WEBGPU_KERNEL_NAMES) {
    const value = typeof enabled === 'boolean' ? enabled : enabled[name];
    if (value !== undefined) next[name] = value;
  }
  switches = next;
}

/** Whether kernel `name` is switched on (it runs only on the webgpu backend). */
export function webgpuKernelEnabled(name: WebgpuKernelName): boolean {
  return current()[name];
}

/** The switches now, e.g. for a benchmark's report. */
export function webgpuKernelSwitches(): Readonly<Record<WebgpuKernelName, boolean>> {
  return { ...current() };
}

/** Exposed for tests of the `DIT_WEBGPU_KERNELS` syntax. */
export const parseWebgpuKernelSwitches = parseSwitches;

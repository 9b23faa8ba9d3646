import { dpmSolver2M } from './dpm-solver-2m.js';
import { euler } from './euler.js';
import { heun } from './heun.js';
import { midpoint } from './midpoint.js';
import { rk4 } from './rk4.js';
import { rk4Original } from './rk4-original.js';
import type { Sampler } from './types.js';

/** The samplers every name lookup starts with. */
export const BUILT_IN_SAMPLERS: readonly Sampler[] = [euler, midpoint, heun, rk4, rk4Original, dpmSolver2M];

const registry = new Map<string, Sampler>(BUILT_IN_SAMPLERS.map((sampler) => [sampler.name, sampler]));

export interface RegisterSamplerOptions {
  /** Replace a sampler already registered under the same name. */
  replace?: boolean;
}

/** Makes a sampler available by name (`sample({ sampler: 'my-name' })`, `getSampler`). */
export function registerSampler(sampler: Sampler, options: RegisterSamplerOptions = {}): void {
  if (!sampler || typeof sampler.name !== 'string' || typeof sampler.step !== 'function') {
    throw new Error('registerSampler: expected a sampler from defineSampler({ name, order, step })');
  }
  const existing = registry.get(sampler.name);
  if (existing && existing !== sampler && !options.replace) {
    throw new Error(`registerSampler: a sampler named '${sampler.name}' is already registered; pass { replace: true } to replace it`);
  }
  registry.set(sampler.name, sampler);
}

/** Removes a sampler by name; returns whether one was registered. */
export function unregisterSampler(name: string): boolean {
  return registry.delete(name);
}

/** The sampler registered under `name`; the error lists the names there are. */
export function getSampler(name: string): Sampler {
  const sampler = registry.get(name);
  if (!sampler) throw new Error(`unknown sampler '${name}'; registered samplers: ${listSamplers().join(', ')}`);
  return sampler;
}

/** Names of every registered sampler, built-ins first. */
export function listSamplers(): string[] {
  return [...registry.keys()];
}

/** A sampler object as given, or the one registered under a name. */
export function resolveSampler(sampler: Sampler | string): Sampler {
  return typeof sampler === 'string' ? getSampler(sampler) : sampler;
}

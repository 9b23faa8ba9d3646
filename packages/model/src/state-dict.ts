import { derivedSizes, resolveConfig, type DiTConfig } from './config.js';
import { TIMESTEP_FEATURES } from './timestep.js';

/** One PyTorch state-dict entry: name and shape ([out, in] for Linear weights). */
export interface StateDictEntry {
  name: string;
  shape: number[];
}

/**
 * The PyTorch state dict of a config, in registration order, computed from the config alone
 * (no tensors): x_embedder, text_embedder, t_embedder.{0,2}, blocks.{i}.{qkv, proj, mlp.0,
 * mlp.2, adaLN_modulation.1}, final_layer (SPEC section 2).
 */
export function stateDictShapes(config: Partial<DiTConfig> = {}): StateDictEntry[] {
  const full = resolveConfig(config);
  const { hiddenSize: d, textDim, depth } = full;
  const { patchDim, mlpHidden } = derivedSizes(full);
  const linear = (name: string, inFeatures: number, outFeatures: number): StateDictEntry[] => [
    { name: `${name}.weight`, shape: [outFeatures, inFeatures] },
    { name: `${name}.bias`, shape: [outFeatures] },
  ];
  const entries = [
    ...linear('x_embedder', patchDim, d),
    ...linear('text_embedder', textDim, d),
    ...linear('t_embedder.0', TIMESTEP_FEATURES, d),
    ...linear('t_embedder.2', d, d),
  ];
  for (let i = 0; i < depth; i++) {
    entries.push(
      ...linear(`blocks.${i}.qkv`, d, 3 * d),
      ...linear(`blocks.${i}.proj`, d, d),
      ...linear(`blocks.${i}.mlp.0`, d, mlpHidden),
      ...linear(`blocks.${i}.mlp.2`, mlpHidden, d),
      ...linear(`blocks.${i}.adaLN_modulation.1`, d, 6 * d),
    );
  }
  entries.push(...linear('final_layer', d, patchDim));
  return entries;
}

/** Number of parameters of a config (229,203,984 for the original preset); exact below 2^53, see countParametersExact. */
export function countParameters(config: Partial<DiTConfig> = {}): number {
  return Number(countParametersExact(config));
}

/** Number of parameters of a config, exact however large (for printing configs past 2^53 parameters). */
export function countParametersExact(config: Partial<DiTConfig> = {}): bigint {
  return stateDictShapes(config).reduce((total, entry) => total + entry.shape.reduce((a, b) => a * BigInt(b), 1n), 0n);
}

import type { DiTConfig } from './config.js';

/**
 * What keeps the original project's code from running a config's weights. Its model.py
 * (Particle1904/SingleStreamDiT_T5Gemma2, the SingleStreamDiTV2 of SPEC section 2) takes only
 * `in_channels, hidden_size, depth, num_heads, text_embed_dim`: it fixes the patch size at 2
 * (`self.patch_size = 2`, `nn.Linear(in_channels * 4, ...)`) and the text at 256 tokens
 * (`q[:, :, 256:, :]`, `x_concat[:, 256:, :]`).
 */
export function originalIncompatibilities(config: Pick<DiTConfig, 'patchSize' | 'textLength'>): string[] {
  const problems: string[] = [];
  if (config.textLength !== 256) problems.push(`text_length ${config.textLength} (it hard-codes 256 text tokens)`);
  if (config.patchSize !== 2) problems.push(`patch_size ${config.patchSize} (it hard-codes 2)`);
  return problems;
}

/** The warning saving such weights gives, or undefined when the original can run them. */
export function originalIncompatibilityWarning(config: Pick<DiTConfig, 'patchSize' | 'textLength'>, path: string): string | undefined {
  const problems = originalIncompatibilities(config);
  if (problems.length === 0) return undefined;
  return `${path}: the original project's code cannot run these weights: ${problems.join(', ')}; @dit and tools/reference/model_reference.py can`;
}

const warned = new Set<string>();

/** Node's process warning, once per `key` in a process (a run saves many checkpoints of one config). */
export function warnOnce(message: string, key = message): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { code: 'DIT_ORIGINAL_INCOMPATIBLE' });
}

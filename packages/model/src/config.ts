/**
 * The architecture of a SingleStreamDiTV2 (SPEC section 2). Everything that changes the
 * parameter shapes or the token layout lives here; this is what `config.json` holds.
 */
export interface DiTConfig {
  /** Latent channels C of x [B, C, H, W]. */
  inChannels: number;
  /** Side p of the square patches; H and W must be multiples of it. */
  patchSize: number;
  /** Width D of every token. */
  hiddenSize: number;
  /** Number of transformer blocks. */
  depth: number;
  /** Attention heads; D / heads = head_dim must be a multiple of 4 for 2D RoPE. */
  numHeads: number;
  /** Width of the text-encoder embeddings (1152 for T5Gemma 2). */
  textDim: number;
  /** Text tokens L per sample; the first L tokens of the sequence are text (SPEC section 2, step 2). */
  textLength: number;
}

/** The original model's architecture (SPEC section 2): hidden 1024, depth 12, 16 heads, text 1152 x 256. */
export const DEFAULT_CONFIG: Readonly<DiTConfig> = Object.freeze({
  inChannels: 4,
  patchSize: 2,
  hiddenSize: 1024,
  depth: 12,
  numHeads: 16,
  textDim: 1152,
  textLength: 256,
});

/** A configuration problem; names the field and says what was expected. */
export class DiTConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DiTConfigError';
  }
}

const FIELDS = Object.keys(DEFAULT_CONFIG) as (keyof DiTConfig)[];

/** Fills missing fields from {@link DEFAULT_CONFIG} and validates the result. */
export function resolveConfig(partial: Partial<DiTConfig> = {}): DiTConfig {
  const config = { ...DEFAULT_CONFIG } as DiTConfig;
  for (const field of FIELDS) {
    if (partial[field] !== undefined) config[field] = partial[field] as number;
  }
  validateConfig(config);
  return config;
}

/** Throws a {@link DiTConfigError} naming the first field that cannot describe a model. */
export function validateConfig(config: DiTConfig): void {
  for (const field of FIELDS) {
    const value = config[field];
    if (!Number.isInteger(value) || value <= 0) {
      throw new DiTConfigError(`config.${field} must be a positive integer, found ${JSON.stringify(value)}`);
    }
  }
  if (config.hiddenSize % config.numHeads !== 0) {
    throw new DiTConfigError(
      `config.hiddenSize (${config.hiddenSize}) must be divisible by config.numHeads (${config.numHeads})`,
    );
  }
  const headDim = config.hiddenSize / config.numHeads;
  if (headDim % 4 !== 0) {
    // 2D RoPE gives each axis head_dim / 4 frequencies, rotated as split halves (SPEC section 2).
    throw new DiTConfigError(
      `head_dim = hiddenSize / numHeads = ${config.hiddenSize} / ${config.numHeads} = ${headDim} must be divisible by 4 for 2D RoPE`,
    );
  }
}

/** Sizes every part of the model derives from the config. */
export interface DerivedSizes {
  headDim: number;
  /** C * p * p: values per patch token. */
  patchDim: number;
  /** Width of the MLP's hidden layer (4 D). */
  mlpHidden: number;
}

export function derivedSizes(config: DiTConfig): DerivedSizes {
  return {
    headDim: config.hiddenSize / config.numHeads,
    patchDim: config.inChannels * config.patchSize * config.patchSize,
    mlpHidden: 4 * config.hiddenSize,
  };
}

/** Token counts for one latent size; throws naming the shape when H or W is not a multiple of p. */
export function tokenLayout(config: DiTConfig, height: number, width: number): { gridHeight: number; gridWidth: number; imageTokens: number; sequenceLength: number } {
  const p = config.patchSize;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height <= 0 || width <= 0 || height % p !== 0 || width % p !== 0) {
    throw new DiTConfigError(
      `latent height x width = ${height} x ${width} must be positive multiples of patchSize ${p}`,
    );
  }
  const gridHeight = height / p;
  const gridWidth = width / p;
  return { gridHeight, gridWidth, imageTokens: gridHeight * gridWidth, sequenceLength: config.textLength + gridHeight * gridWidth };
}

/** config.json keys (snake_case, as the PyTorch constructor's arguments) for each field. */
const JSON_KEYS: Record<keyof DiTConfig, string> = {
  inChannels: 'in_channels',
  patchSize: 'patch_size',
  hiddenSize: 'hidden_size',
  depth: 'depth',
  numHeads: 'num_heads',
  textDim: 'text_embed_dim',
  textLength: 'text_length',
};

/** The class name written to config.json, as diffusers does, so readers can check what they load. */
export const CONFIG_CLASS_NAME = 'SingleStreamDiTV2';

/** The config.json object: snake_case keys named after the PyTorch constructor's arguments. */
export function configToJson(config: DiTConfig): Record<string, unknown> {
  const json: Record<string, unknown> = { _class_name: CONFIG_CLASS_NAME };
  for (const field of FIELDS) json[JSON_KEYS[field]] = config[field];
  return json;
}

/**
 * Reads a config.json object (snake_case or camelCase keys). Missing fields take the defaults;
 * keys starting with `_` are metadata; any other unknown key is an error, so typos do not pass.
 */
export function configFromJson(json: unknown, source = 'config.json'): DiTConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DiTConfigError(`${source}: expected a JSON object, found ${JSON.stringify(json)?.slice(0, 80)}`);
  }
  const record = json as Record<string, unknown>;
  if (record._class_name !== undefined && record._class_name !== CONFIG_CLASS_NAME) {
    throw new DiTConfigError(`${source}: _class_name is ${JSON.stringify(record._class_name)}, expected "${CONFIG_CLASS_NAME}"`);
  }
  const partial: Partial<DiTConfig> = {};
  const known = new Map<string, keyof DiTConfig>();
  for (const field of FIELDS) {
    known.set(field, field);
    known.set(JSON_KEYS[field], field);
  }
  for (const [key, value] of Object.entries(record)) {
    if (key.startsWith('_')) continue;
    const field = known.get(key);
    if (!field) {
      throw new DiTConfigError(`${source}: unknown key "${key}" (known: ${FIELDS.map((f) => JSON_KEYS[f]).join(', ')})`);
    }
    if (typeof value !== 'number') throw new DiTConfigError(`${source}: ${key} must be a number, found ${JSON.stringify(value)}`);
    partial[field] = value;
  }
  try {
    return resolveConfig(partial);
  } catch (error) {
    if (error instanceof DiTConfigError) throw new DiTConfigError(`${source}: ${error.message}`);
    throw error;
  }
}

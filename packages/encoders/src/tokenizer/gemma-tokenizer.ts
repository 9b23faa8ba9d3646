import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';

export type PaddingSide = 'right' | 'left';

export interface TokenizeBatchOptions {
  /** Every sequence is padded or truncated to exactly this many tokens (Python: padding='max_length', truncation=True). */
  maxLength: number;
  /** Where padding goes. Default 'right' (SPEC section 7). */
  paddingSide?: PaddingSide;
  /** Which end truncation cuts text tokens from; special tokens are kept. Default 'right'. */
  truncationSide?: PaddingSide;
  /** Add the special tokens of tokenizer.json's post-processor (Gemma: <bos> first). Default true. */
  addSpecialTokens?: boolean;
}

export const TOKENIZE_BATCH_DEFAULTS = {
  paddingSide: 'right',
  truncationSide: 'right',
  addSpecialTokens: true,
} as const satisfies Omit<Required<TokenizeBatchOptions>, 'maxLength'>;

/** A padded batch, row-major [batch, length]. */
export interface TokenizedBatch {
  inputIds: Int32Array;
  /** 1 = token, 0 = padding. */
  attentionMask: Int32Array;
  batch: number;
  length: number;
}

type Json = Record<string, unknown>;

/** A special token in tokenizer_config.json: a string or an AddedToken object. */
function tokenContent(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as Json).content === 'string') return (value as Json).content as string;
  return null;
}

const MARKER = '\u0000sequence\u0000';

/**
 * The Gemma 3 tokenizer on `@huggingface/tokenizers` (pure JS; reads tokenizer.json), with the
 * padding and truncation of Python's `tokenizer(texts, padding='max_length', max_length=N,
 * truncation=True)`: text tokens are cut to N minus the special tokens, the post-processor's
 * special tokens (Gemma: <bos>) are added, and <pad> fills the rest.
 *
 * Special tokens come from tokenizer.json's post-processor, as transformers 5 does for Gemma
 * (it ignores tokenizer_config's add_bos_token / add_eos_token); tokenizer_config.json only
 * names the pad, bos and eos tokens.
 */
export class GemmaTokenizer {
  readonly padTokenId: number;
  readonly bosTokenId: number;
  readonly eosTokenId: number;
  /** `padding_side` in tokenizer_config.json, for reference; padding follows the batch options. */
  readonly configPaddingSide: PaddingSide | null;
  private readonly tokenizer: Tokenizer;
  private readonly prefix: number[];
  private readonly suffix: number[];

  constructor(
    tokenizerJson: object,
    tokenizerConfig: object = {},
    readonly source = '(in memory)',
  ) {
    const config = tokenizerConfig as Json;
    this.tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    this.padTokenId = this.specialId(config.pad_token, '<pad>', 'pad_token');
    this.bosTokenId = this.specialId(config.bos_token, '<bos>', 'bos_token');
    this.eosTokenId = this.specialId(config.eos_token, '<eos>', 'eos_token');
    const side = config.padding_side;
    this.configPaddingSide = side === 'left' || side === 'right' ? side : null;
    [this.prefix, this.suffix] = this.templateSpecials();
  }

  /** Reads `tokenizer.json` and, when present, `tokenizer_config.json` from a model folder. */
  static async fromFolder(dir: string): Promise<GemmaTokenizer> {
    const configPath = join(dir, 'tokenizer_config.json');
    return GemmaTokenizer.fromFiles(join(dir, 'tokenizer.json'), existsSync(configPath) ? configPath : undefined);
  }

  /** `tokenizerConfig`: a tokenizer_config.json path, or its contents. */
  static async fromFiles(tokenizerJsonPath: string, tokenizerConfig?: string | object): Promise<GemmaTokenizer> {
    const read = async (path: string): Promise<object> => {
      try {
        return JSON.parse(await readFile(path, 'utf8'));
      } catch (error) {
        throw new Error(`${path}: cannot read tokenizer file: ${(error as Error).message}`);
      }
    };
    const tokenizerJson = await read(tokenizerJsonPath);
    const config = typeof tokenizerConfig === 'string' ? await read(tokenizerConfig) : (tokenizerConfig ?? {});
    return new GemmaTokenizer(tokenizerJson, config, tokenizerJsonPath);
  }

  private specialId(value: unknown, fallback: string, field: string): number {
    const token = tokenContent(value) ?? fallback;
    const id = this.tokenizer.token_to_id(token);
    if (id === undefined) throw new Error(`${this.source}: ${field} ${JSON.stringify(token)} is not in the vocabulary`);
    return id;
  }

  /** The special token ids the post-processor puts before and after one sequence. */
  private templateSpecials(): [number[], number[]] {
    const processor = this.tokenizer.post_processor;
    if (!processor) return [[], []];
    const tokens = processor.post_process([MARKER], null, true).tokens;
    const at = tokens.indexOf(MARKER);
    const ids = (part: string[]) =>
      part.map((token) => {
        const id = this.tokenizer.token_to_id(token);
        if (id === undefined) throw new Error(`${this.source}: post-processor token ${JSON.stringify(token)} is not in the vocabulary`);
        return id;
      });
    return [ids(tokens.slice(0, at)), ids(tokens.slice(at + 1))];
  }

  /** Token ids of one text, with the post-processor's special tokens unless told otherwise. */
  encode(text: string, options: { addSpecialTokens?: boolean } = {}): number[] {
    const content = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    return (options.addSpecialTokens ?? true) ? [...this.prefix, ...content, ...this.suffix] : content;
  }

  decode(ids: number[], options: { skipSpecialTokens?: boolean } = {}): string {
    return ids.length === 0 ? '' : this.tokenizer.decode(ids, { skip_special_tokens: options.skipSpecialTokens ?? false });
  }

  /** Tokenizes, truncates and pads a batch to exactly `maxLength` tokens per text. */
  tokenizeBatch(texts: string[], options: TokenizeBatchOptions): TokenizedBatch {
    const { maxLength } = options;
    const paddingSide = options.paddingSide ?? TOKENIZE_BATCH_DEFAULTS.paddingSide;
    const truncationSide = options.truncationSide ?? TOKENIZE_BATCH_DEFAULTS.truncationSide;
    const addSpecial = options.addSpecialTokens ?? TOKENIZE_BATCH_DEFAULTS.addSpecialTokens;
    const specials = addSpecial ? this.prefix.length + this.suffix.length : 0;
    if (!Number.isInteger(maxLength) || maxLength <= specials) {
      throw new RangeError(`GemmaTokenizer.tokenizeBatch: maxLength must be an integer above the ${specials} special token(s), got ${maxLength}`);
    }
    const inputIds = new Int32Array(texts.length * maxLength).fill(this.padTokenId);
    const attentionMask = new Int32Array(texts.length * maxLength);
    texts.forEach((text, row) => {
      let content = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
      const room = maxLength - specials;
      if (content.length > room) content = truncationSide === 'right' ? content.slice(0, room) : content.slice(content.length - room);
      const ids = addSpecial ? [...this.prefix, ...content, ...this.suffix] : content;
      const start = row * maxLength + (paddingSide === 'right' ? 0 : maxLength - ids.length);
      inputIds.set(ids, start);
      attentionMask.fill(1, start, start + ids.length);
    });
    return { inputIds, attentionMask, batch: texts.length, length: maxLength };
  }
}

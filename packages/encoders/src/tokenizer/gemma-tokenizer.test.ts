import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { GemmaTokenizer } from './gemma-tokenizer.js';
import { gemma3Tokenizer } from './gemma3.js';

type Padded = { input_ids: number[]; attention_mask: number[] };
interface Case {
  text: string;
  plain: number[];
  content: number[];
  right32: Padded;
  right16: Padded;
  left16: Padded;
}
const fixtures = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const { cases }: { cases: Case[] } = JSON.parse(await readFile(`${fixtures}tokenizer/gemma3-captions.json`, 'utf8'));
const texts = cases.map((c) => c.text);

function rows(batch: { inputIds: Int32Array; attentionMask: Int32Array; length: number }, row: number): Padded {
  const span = [row * batch.length, (row + 1) * batch.length] as const;
  return { input_ids: [...batch.inputIds.subarray(...span)], attention_mask: [...batch.attentionMask.subarray(...span)] };
}

describe('GemmaTokenizer on the real Gemma 3 tokenizer.json (ids from Python)', () => {
  let tokenizer: GemmaTokenizer;
  beforeAll(async () => {
    tokenizer = await gemma3Tokenizer();
  });

  it('uses T5Gemma 2 special tokens: pad 0, eos 1, bos 2', () => {
    expect([tokenizer.padTokenId, tokenizer.eosTokenId, tokenizer.bosTokenId]).toEqual([0, 1, 2]);
  });

  it('encodes each text as `tokenizers` does, with and without <bos>', () => {
    for (const c of cases) {
      expect(tokenizer.encode(c.text), c.text).toEqual(c.plain);
      expect(tokenizer.encode(c.text, { addSpecialTokens: false }), c.text).toEqual(c.content);
    }
  });

  it("pads and truncates as AutoTokenizer(padding='max_length', truncation=True)", () => {
    for (const [key, maxLength, paddingSide] of [
      ['right32', 32, 'right'],
      ['right16', 16, 'right'],
      ['left16', 16, 'left'],
    ] as const) {
      const batch = tokenizer.tokenizeBatch(texts, { maxLength, paddingSide });
      expect([batch.batch, batch.length]).toEqual([texts.length, maxLength]);
      cases.forEach((c, row) => expect(rows(batch, row), `${key}: ${c.text}`).toEqual(c[key]));
    }
  });

  it('decodes what it encodes', () => {
    expect(tokenizer.decode(tokenizer.encode(texts[0]), { skipSpecialTokens: true })).toBe(texts[0]);
    expect(tokenizer.decode([])).toBe('');
  });

  it('rejects a maxLength that leaves no room for text', () => {
    expect(() => tokenizer.tokenizeBatch(['a'], { maxLength: 1 })).toThrow(/maxLength must be an integer above the 1 special/);
  });

  it('is loaded once and shared', async () => {
    expect(await gemma3Tokenizer()).toBe(tokenizer);
  });
});

describe('GemmaTokenizer.fromFolder', () => {
  it('reads special tokens and padding side from tokenizer_config.json', async () => {
    const tokenizer = await GemmaTokenizer.fromFolder(`${fixtures}t5gemma/tiny`);
    expect([tokenizer.padTokenId, tokenizer.eosTokenId, tokenizer.bosTokenId]).toEqual([0, 1, 2]);
    expect(tokenizer.configPaddingSide).toBe('right');
    const petals = tokenizer.encode('petals');
    expect(petals[0]).toBe(2);
    const batch = tokenizer.tokenizeBatch(['petals', ''], { maxLength: 6, paddingSide: 'left' });
    const pad = (n: number) => Array(n).fill(0);
    expect([...batch.inputIds]).toEqual([...pad(6 - petals.length), ...petals, ...pad(5), 2]);
    expect([...batch.attentionMask]).toEqual([...pad(6 - petals.length), ...petals.map(() => 1), ...pad(5), 1]);
  });

  it('names the file it cannot read', async () => {
    await expect(GemmaTokenizer.fromFolder(`${fixtures}no-such-folder`)).rejects.toThrow(/no-such-folder\/tokenizer\.json/);
  });

  it('names a special token missing from the vocabulary', async () => {
    const json = JSON.parse(await readFile(`${fixtures}t5gemma/tiny/tokenizer.json`, 'utf8'));
    expect(() => new GemmaTokenizer(json, { pad_token: '<nope>' }, 'toy.json')).toThrow(/toy\.json: pad_token "<nope>" is not in the vocabulary/);
  });
});

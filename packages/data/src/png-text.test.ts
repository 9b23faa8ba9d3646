import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodePng } from './image-io.js';
import { addPngText, crc32, readPngText } from './png-text.js';

const pixels = () => encodePng({ width: 3, height: 2, data: Uint8Array.from({ length: 18 }, (_, i) => i * 13) });

describe('PNG text chunks', () => {
  it('computes the standard CRC-32', () => {
    // The check value of CRC-32/ISO-HDLC, and the CRC of an IEND chunk as every PNG ends.
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new TextEncoder().encode('IEND'))).toBe(0xae426082);
  });

  it('round-trips Latin-1 (tEXt) and other text (iTXt), readable by libvips, pixels untouched', async () => {
    const png = await pixels();
    const entries = { prompt: 'A pink rose, façade, 50% – dew', seed: '42', title: 'Blüte 🌸 花', empty: '' };
    const tagged = addPngText(png, entries);
    expect(readPngText(tagged)).toEqual(entries);
    const decoded = await sharp(tagged).raw().toBuffer();
    expect([...decoded]).toEqual([...(await sharp(png).raw().toBuffer())]);
    const comments = (await sharp(tagged).metadata()).comments ?? [];
    expect(comments).toContainEqual({ keyword: 'seed', text: '42' });
    expect(comments.find((c) => c.keyword === 'title')?.text).toBe('Blüte 🌸 花');
  });

  it('refuses bad keywords and names corrupt files', async () => {
    const png = await pixels();
    expect(() => addPngText(png, { '': 'x' })).toThrow(/keyword/);
    expect(() => addPngText(png, { ' lead': 'x' })).toThrow(/keyword/);
    expect(() => addPngText(png, { ['k'.repeat(80)]: 'x' })).toThrow(/1-79/);
    const broken = addPngText(png, { seed: '1' });
    const at = Buffer.from(broken).indexOf("tEXt");
    broken[at + 6] ^= 0xff; // inside the tEXt chunk
    expect(() => readPngText(broken, 'x.png')).toThrow(/x\.png: chunk tEXt at byte \d+ has a bad CRC/);
    expect(() => readPngText(new Uint8Array(10), 'y.png')).toThrow(/y\.png: not a PNG/);
  });
});

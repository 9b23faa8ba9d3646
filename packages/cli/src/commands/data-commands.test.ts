import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../errors.js';
import { runCli } from '../main.js';
import { readCacheEntry, writeCacheEntry } from '@dit/data';
import { capture } from '../test-capture.js';

/** Rewrites a cache entry with `value` at `index` of one of its float tensors. */
async function poisonEntry(path: string, tensor: 'latents' | 'textEmbeddings', value: number, index: number): Promise<void> {
  const entry = await readCacheEntry(path);
  entry[tensor].data[index] = value;
  await writeCacheEntry(path, entry);
}

const flowers = fileURLToPath(new URL('../../../data/fixtures/flowers/', import.meta.url));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-data-'));
  await cp(flowers, join(dir, 'dataset'), { recursive: true });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dit preprocess / stats / check-cache', () => {
  const cache = () => join(dir, 'cache');
  const args = () => ['preprocess', '--dataset', join(dir, 'dataset'), '--cache', cache(), '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--buckets', '64x64,48x80,80x48', '--max-length', '16'];

  it('caches every fixture image and exits 0, then 3 once a corrupt image appears', async () => {
    const first = capture();
    expect(await runCli(args(), first.io)).toBe(EXIT.ok);
    expect(first.out[0]).toMatch(/8 images, 8 entries written, 0 up to date, 0 failed/);
    await writeFile(join(dir, 'dataset', 'broken.png'), Buffer.from('not a png at all'));
    await writeFile(join(dir, 'dataset', 'broken.txt'), 'A broken flower.');
    const second = capture();
    expect(await runCli(args(), second.io)).toBe(EXIT.partial);
    expect(second.out.join('\n')).toMatch(/8 up to date, 1 failed/);
    expect(existsSync(join(cache(), 'preprocess-report.json'))).toBe(true);
  });

  it('stats prints JSON with the suggested normalisation', async () => {
    const { io, out } = capture();
    expect(await runCli(['stats', cache(), '--json'], io)).toBe(EXIT.ok);
    const stats = JSON.parse(out.join('\n'));
    expect(stats.suggested.std).toBeGreaterThan(0.2);
    expect(stats.perChannel ?? stats.channels).toHaveLength(192);
  });

  it('check-cache decodes an entry to a PNG of its bucket size', async () => {
    const entry = (await readdir(cache())).find((f) => f.endsWith('.safetensors'))!;
    const { io, out } = capture();
    expect(await runCli(['check-cache', join(cache(), entry), '--vae', 'pixel:8', '--out', join(dir, 'checked'), '--std', '0.5', '--offset', '0.1'], io)).toBe(EXIT.ok);
    expect(out[0]).toContain(' -> ');
    expect(out.join('\n')).toMatch(/round-trip error/);
    const png = join(dir, 'checked', entry.replace('.safetensors', '.png'));
    const meta = await sharp(png).metadata();
    expect([64, 48, 80]).toContain(meta.width);
  });

  it('takes --dataset and --cache from a config file, and says when they are missing', async () => {
    await writeFile(join(dir, 'pre.json'), JSON.stringify({ dataset: join(dir, 'dataset'), cache: cache(), textEncoder: 'random:tiny', vae: 'pixel:8', buckets: '64x64,48x80,80x48', maxLength: 16 }));
    const ok = capture();
    expect(await runCli(['preprocess', '--config', join(dir, 'pre.json')], ok.io)).toBe(EXIT.partial); // broken.png is still there
    expect(ok.out.join('\n')).toMatch(/8 up to date, 1 failed/);
    const missing = capture();
    expect(await runCli(['preprocess', '--cache', cache()], missing.io)).toBe(EXIT.usage);
    expect(missing.err.join('\n')).toContain('--dataset is required');
  });

  it('names bad flag values', async () => {
    const { io, err } = capture();
    expect(await runCli([...args(), '--resize', 'squash'], io)).toBe(EXIT.usage);
    expect(err.join('\n')).toContain("--resize: expected one of stretch, crop, got 'squash'");
  });

  it('check-cache checks a whole cache folder; NaN or Inf entries are named by check-cache and stats, which exit 1', async () => {
    const sound = capture();
    expect(await runCli(['check-cache', cache()], sound.io)).toBe(EXIT.ok);
    expect(sound.out[0]).toBe(`${cache()}: 8 entries, all read whole, match manifest.json and hold only finite values`);

    const damaged = join(dir, 'damaged-cache');
    await cp(cache(), damaged, { recursive: true });
    await poisonEntry(join(damaged, '1.safetensors'), 'latents', Number.NaN, 2);
    await poisonEntry(join(damaged, '5.safetensors'), 'textEmbeddings', Number.POSITIVE_INFINITY, 40);
    const folder = capture();
    expect(await runCli(['check-cache', damaged], folder.io)).toBe(EXIT.failure);
    expect(folder.err).toEqual([
      `error: ${damaged}: 2 of 8 entries damaged; run preprocess again, which encodes damaged entries anew`,
      `  error (non-finite): ${join(damaged, '1.safetensors')}: latents hold 1 NaN of 12288 values (the first at index 2)`,
      `  error (non-finite): ${join(damaged, '5.safetensors')}: text_embeds hold 1 +Inf of 1024 values (the first at index 40)`,
    ]);
    const files = capture();
    expect(await runCli(['check-cache', join(damaged, '1.safetensors'), join(damaged, '2.safetensors'), '--out', join(dir, 'checked-damaged')], files.io)).toBe(EXIT.failure);
    expect(files.err).toEqual([
      `error: ${join(damaged, '1.safetensors')}: latents hold 1 NaN of 12288 values (the first at index 2); run preprocess again, which encodes damaged entries anew`,
    ]);
    expect(files.out[0]).toContain(`${join(damaged, '2.safetensors')} -> `);
    const stats = capture();
    expect(await runCli(['stats', damaged], stats.io)).toBe(EXIT.failure);
    expect(stats.err.join('\n')).toBe(
      `error: ${damaged}: 2 of 8 entries are damaged, so the statistics would be meaningless; run preprocess again, which encodes damaged entries anew:\n` +
        `  ${join(damaged, '1.safetensors')}: latents hold 1 NaN of 12288 values (the first at index 2)\n` +
        `  ${join(damaged, '5.safetensors')}: text_embeds hold 1 +Inf of 1024 values (the first at index 40)`,
    );
  });
});

import { cp, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../errors.js';
import { runCli } from '../main.js';
import { capture } from '../test-capture.js';

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
});

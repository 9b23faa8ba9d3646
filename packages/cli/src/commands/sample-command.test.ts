import { readdirSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCacheEntryHeader, readPngText } from '@dit/data';
import { presets, SingleStreamDiTV2 } from '@dit/model';
import { EXIT } from '../errors.js';
import { runCli } from '../main.js';
import { capture } from '../test-capture.js';

const flowers = fileURLToPath(new URL('../../../data/fixtures/flowers/', import.meta.url));

let dir: string;
const model = () => join(dir, 'model');
const pngs = (folder: string) => readdirSync(folder).filter((f) => f.endsWith('.png')).sort();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-sample-'));
  await mkdir(join(dir, 'dataset'));
  for (const name of ['1.png', '1.txt', '5.png', '5.txt']) await cp(join(flowers, name), join(dir, 'dataset', name));
  const code = await runCli(
    ['preprocess', '--dataset', join(dir, 'dataset'), '--cache', join(dir, 'cache'), '--text-encoder', 'random:tiny', '--vae', 'pixel:4', '--buckets', '32x32,24x40', '--max-length', '16'],
    capture().io,
  );
  expect(code).toBe(EXIT.ok);
  // An untrained tiny model that fits the cache: 4x4 pixel patches as 48 channels, tiny T5Gemma's 64-dim text.
  const dit = new SingleStreamDiTV2({ ...presets.tiny, inChannels: 48, textDim: 64, textLength: 16, seed: 3 });
  await dit.savePretrained(model());
  dit.dispose();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A 3-epoch tiny run of `dit train` on the cache, in `dir/<name>`. */
async function trainedRun(name: string): Promise<string> {
  const run = join(dir, name);
  const trained = capture();
  const trainArgs = ['train', '--cache', join(dir, 'cache'), '--out', run, '--preset', 'tiny', '--epochs', '3', '--batch-size', '1', '--no-progress'];
  expect(await runCli(trainArgs, trained.io), trained.err.join('\n')).toBe(EXIT.ok);
  return run;
}

describe('dit sample', () => {
  const textArgs = ['--text-encoder', 'random:tiny', '--vae', 'pixel:4', '--steps', '4', '--sampler', 'euler'];

  it('writes batch images per prompt with the settings in PNG text chunks and JSON, each image reproducible from its seed', async () => {
    const out = join(dir, 'text');
    await writeFile(join(dir, 'prompts.txt'), '# flowers\nA yellow tulip in a field.\n\n');
    const { io } = capture();
    const args = ['sample', '--model', model(), '--prompt', 'A pink rose with dew drops', '--prompts', join(dir, 'prompts.txt'), ...textArgs];
    const extra = ['--negative-prompt', 'blurry', '--width', '24', '--height', '40', '--cfg', '2', '--shift', '3', '--seed', '7', '--batch', '2', '--out', out];
    expect(await runCli([...args, ...extra], io)).toBe(EXIT.ok);
    const files = pngs(out);
    expect(files).toEqual(['000-a-pink-rose-with-dew-drops-seed7.png', '000-a-pink-rose-with-dew-drops-seed8.png', '001-a-yellow-tulip-in-a-field-seed7.png', '001-a-yellow-tulip-in-a-field-seed8.png']);
    for (const file of files) {
      const png = readFileSync(join(out, file));
      expect(await sharp(png).metadata()).toMatchObject({ width: 24, height: 40, format: 'png' });
      const text = readPngText(png);
      expect(text).toMatchObject({ steps: '4', sampler: 'euler', cfg: '2', shift: '3', negative_prompt: 'blurry', model: join(model(), 'model.safetensors'), latent_std: '1', latent_offset: '0' });
      const settings = JSON.parse(readFileSync(join(out, file.replace('.png', '.json')), 'utf8'));
      expect(JSON.parse(text.parameters)).toEqual(settings);
      expect(String(settings.seed)).toBe(text.seed);
    }
    expect(readPngText(readFileSync(join(out, files[2]))).prompt).toBe('A yellow tulip in a field.');
    const [first, second] = await Promise.all(files.slice(0, 2).map((f) => sharp(join(out, f)).raw().toBuffer()));
    expect(first.equals(second)).toBe(false);

    // Image seed 8 alone gives the same pixels as the second image of the batch above.
    const single = join(dir, 'single');
    expect(await runCli([...args, ...extra.slice(0, -6), '--seed', '8', '--out', single], capture().io)).toBe(EXIT.ok);
    const again = await sharp(join(single, '000-a-pink-rose-with-dew-drops-seed8.png')).raw().toBuffer();
    expect(again.equals(second)).toBe(true);
  });

  it('samples a cached entry at its size with its caption, the autoencoder taken from the entry', async () => {
    const out = join(dir, 'entries');
    const entry = join(dir, 'cache', '5.safetensors');
    const { io, out: lines } = capture();
    expect(await runCli(['sample', '--model', model(), '--entry', entry, '--steps', '3', '--sampler', 'rk4', '--latent-std', '2', '--latent-offset', '0.5', '--out', out], io)).toBe(EXIT.ok);
    expect(lines.join('\n')).toContain('1 image(s)');
    const [file] = pngs(out);
    const text = readPngText(readFileSync(join(out, file)));
    expect(text).toMatchObject({ entry, vae: 'pixel:4', latent_std: '2', latent_offset: '0.5', sampler: 'rk4', cfg: '1.5', weights: 'pretrained' });
    expect(text.prompt).toBe(readFileSync(join(dir, 'dataset', '5.txt'), 'utf8').trim());
    const { metadata } = await readCacheEntryHeader(entry);
    expect(await sharp(join(out, file)).metadata()).toMatchObject({ width: metadata.width, height: metadata.height });
  });

  it('samples a training checkpoint with the encoders its run.json names, without encoder flags', async () => {
    const run = await trainedRun('checkpoint');
    const checkpoint = join(run, 'checkpoints', readdirSync(join(run, 'checkpoints')).sort().at(-1)!);
    const out = join(dir, 'from-checkpoint');
    const { io, err } = capture();
    expect(await runCli(['sample', '--model', checkpoint, '--prompt', 'A pink rose', '--steps', '2', '--width', '32', '--height', '32', '--out', out], io), err.join('\n')).toBe(EXIT.ok);
    const text = readPngText(readFileSync(join(out, pngs(out)[0])));
    expect(text).toMatchObject({ text_encoder: 'random:tiny:0', vae: 'pixel:4', weights: 'ema', model: join(checkpoint, 'ema.safetensors') });
    // Flags still win over run.json.
    const { io: flagged } = capture();
    expect(await runCli(['sample', '--model', checkpoint, '--prompt', 'A pink rose', '--steps', '2', '--width', '32', '--height', '32', '--text-encoder', 'random:tiny:5', '--out', join(out, 'flagged')], flagged)).toBe(EXIT.ok);
    expect(readPngText(readFileSync(join(out, 'flagged', pngs(join(out, 'flagged'))[0]))).text_encoder).toBe('random:tiny:5');
  });

  it('names what is wrong and exits 2', async () => {
    const base = ['sample', '--model', model(), '--out', join(dir, 'bad')];
    const cases: [string[], RegExp][] = [
      [['--prompt', 'x', ...textArgs, '--sampler', 'leapfrog'], /--sampler: unknown sampler 'leapfrog'; registered: .*rk4/],
      [['--steps', '2'], /nothing to sample: give --prompt, --prompts or --entry/],
      [['--prompt', 'x', ...textArgs, '--width', '30'], /--width: 30 pixels must be a positive multiple of 8/],
      [['--prompt', 'x', '--text-encoder', 'random:tiny', '--vae', 'pixel:2'], /--vae: pixel-f2 has 12 latent channels, the model takes 48/],
      [['--prompt', 'x', ...textArgs, '--weights', 'ema'], /--weights applies to training checkpoints/],
      [['--prompts', join(dir, 'none.txt')], /--prompts .*none\.txt: cannot read it/],
    ];
    for (const [extra, message] of cases) {
      const { io, err } = capture();
      expect(await runCli([...base, ...extra], io), extra.join(' ')).toBe(EXIT.usage);
      expect(err.join('\n')).toMatch(message);
    }
    // A run whose newest checkpoint is damaged: refused by name, with the newest good one to use instead.
    const run = await trainedRun('damaged');
    const good = readdirSync(join(run, 'checkpoints')).sort().at(-1)!;
    await rm(join(run, 'final'), { recursive: true });
    await mkdir(join(run, 'checkpoints', 'epoch-0009-step-0000099'));
    await writeFile(join(run, 'checkpoints', 'epoch-0009-step-0000099', 'state.json'), '{"format": "dit-train-che');
    const damaged = capture();
    expect(await runCli(['sample', '--model', run, '--prompt', 'x', ...textArgs, '--out', join(dir, 'bad')], damaged.io)).toBe(EXIT.usage);
    expect(damaged.err.join('\n')).toMatch(new RegExp(`newest checkpoint .*epoch-0009-step-0000099 is damaged .*pass --model .*${good}`));

    const missing = capture();
    expect(await runCli(['sample', '--model', join(dir, 'nowhere'), '--prompt', 'x'], missing.io)).toBe(EXIT.usage);
    expect(missing.err.join('\n')).toMatch(/--model .*nowhere: no such file or folder/);
  });
});

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countParameters, presets } from '@dit/model';
import { EXIT } from '../errors.js';
import { runCli } from '../main.js';
import { capture } from '../test-capture.js';
import { readPngText } from '@dit/data';
import { resumeCommandLine } from './train-command.js';

const flowers = fileURLToPath(new URL('../../../data/fixtures/flowers/', import.meta.url));

let dir: string;
const cache = () => join(dir, 'cache');
const trainArgs = (out: string) => ['train', '--cache', cache(), '--out', out, '--preset', 'tiny', '--epochs', '3', '--batch-size', '2', '--lr-scale', '10', '--latent-norm', 'cache', '--no-progress'];
const pngs = (folder: string) => readdirSync(folder).filter((f) => f.endsWith('.png'));
const logRows = (run: string) => readFileSync(join(run, 'log.csv'), 'utf8').trim().split('\n').slice(1);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-train-'));
  await cp(flowers, join(dir, 'dataset'), { recursive: true });
  const code = await runCli(
    ['preprocess', '--dataset', join(dir, 'dataset'), '--cache', cache(), '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--buckets', '64x64,48x80,80x48', '--max-length', '16'],
    capture().io,
  );
  expect(code).toBe(EXIT.ok);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('dit train / info', () => {
  it('trains the three phases scaled to 3 epochs, with validation samples, and writes the run', async () => {
    const run = join(dir, 'run');
    const { io, out } = capture();
    const code = await runCli([...trainArgs(run), '--validate-every', '1', '--validate-steps', '2'], io);
    expect(code).toBe(EXIT.ok);
    expect(out.join('\n')).toContain(`model in ${join(run, 'final')}`);
    expect(out.join('\n')).toContain(`sample with: dit sample --model ${join(run, 'final')} --prompt '...'`);
    expect(existsSync(join(run, 'final', 'model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(run, 'final', 'pipeline.json'), 'utf8'))).toMatchObject({ textEncoder: 'random:tiny:0', autoencoder: 'pixel:8', sampling: { steps: 50, sampler: 'rk4' } });
    // run.json: what a tool outside this process needs to continue or sample the run.
    expect(JSON.parse(readFileSync(join(run, 'run.json'), 'utf8'))).toEqual({
      cache: cache(),
      resume: resumeCommandLine([...trainArgs(run), '--validate-every', '1', '--validate-steps', '2']),
      vae: 'pixel:8',
      textEncoder: 'random:tiny:0',
    });
    const schedule = JSON.parse(readFileSync(join(run, 'schedule.json'), 'utf8'));
    expect(schedule.map((p: { epochs: number[] }) => p.epochs)).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(schedule[0].lr).toMatchObject({ start: 1e-3, end: 5e-4 });
    // --latent-norm cache: phases 2 and 3 take this cache's statistics, not the original's 0.3077 / 1.1908.
    expect(schedule[2].latentNorm.offset).toBe(schedule[1].latentNorm.offset);
    expect(schedule[2].latentNorm.std).not.toBeCloseTo(1.1908, 3);
    const samples = readdirSync(join(run, 'samples'));
    expect(samples).toContain('epoch_0001_raw_entry0.png');
    expect(samples).toContain('epoch_0002_ema_entry0.png');
    expect(logRows(run).length).toBeGreaterThanOrEqual(3);
  });

  it('Ctrl-C checkpoints and exits 0 with the resume command; that command finishes the same run', async () => {
    const run = join(dir, 'interrupted');
    let signalled = false;
    const first = capture((line) => {
      if (!signalled && /^epoch 0 /.test(line)) {
        signalled = true;
        process.emit('SIGINT', 'SIGINT');
      }
    });
    expect(await runCli(trainArgs(run), first.io)).toBe(EXIT.ok);
    expect(first.err.join('\n')).toContain('SIGINT: finishing this step');
    const resume = first.out.find((line) => line.startsWith('resume with: '))!;
    expect(resume).toBe(`resume with: ${resumeCommandLine(trainArgs(run))}`);
    expect(existsSync(join(run, 'final'))).toBe(false);
    const stoppedAt = logRows(run).length;

    const again = capture();
    expect(await runCli(trainArgs(run), again.io)).toBe(EXIT.usage);
    expect(again.err.join('\n')).toMatch(/already holds checkpoints .*add --resume/);

    const second = capture();
    expect(await runCli(resume.replace('resume with: dit ', '').split(' '), second.io)).toBe(EXIT.ok);
    const rows = logRows(run);
    expect(rows.length).toBeGreaterThan(stoppedAt);
    expect(rows.map((row) => Number(row.split(',')[1]))).toEqual(rows.map((_, i) => i + 1));
    // Exact resume: the same losses as the uninterrupted run above (validation draws no training randomness).
    expect(rows).toEqual(logRows(join(dir, 'run')));
  });

  it('--resume stops at a damaged checkpoint with the commands that continue; --resume-fallback continues', async () => {
    const run = join(dir, 'damaged');
    await cp(join(dir, 'run'), run, { recursive: true });
    await rm(join(run, 'final'), { recursive: true });
    const [previous, newest] = readdirSync(join(run, 'checkpoints')).sort().slice(-2);
    await writeFile(join(run, 'checkpoints', newest, 'state.json'), '{"format": "dit-train-checkpoint", "vers');
    const stopped = capture();
    expect(await runCli([...trainArgs(run), '--resume'], stopped.io)).toBe(EXIT.failure);
    const message = stopped.err.join('\n');
    expect(message).toContain(`error: cannot resume: checkpoint ${newest} is damaged:\n  ${newest}: state.json is not valid JSON`);
    expect(message).toContain(`continue from it with ${resumeCommandLine(trainArgs(run))} ${previous}, or add --resume-fallback (${resumeCommandLine(trainArgs(run))} --resume-fallback)`);
    expect(message).not.toMatch(/starting/);
    const info = capture();
    expect(await runCli(['info', run], info.io)).toBe(EXIT.ok);
    expect(info.out.join('\n')).toMatch(new RegExp(`damaged checkpoints \\(1\\):\\n  ${newest}  state\\.json is not valid JSON`));

    const fallback = capture();
    expect(await runCli([...trainArgs(run), '--resume', '--resume-fallback'], fallback.io)).toBe(EXIT.ok);
    expect(fallback.err.join('\n')).toMatch(new RegExp(`warning: checkpoint ${newest} is damaged: state\\.json is not valid JSON.*; moved to .*checkpoints-damaged`));
    expect(logRows(run)).toEqual(logRows(join(dir, 'run')));

    const fresh = capture();
    expect(await runCli(trainArgs(run), fresh.io)).toBe(EXIT.usage);
    expect(fresh.err.join('\n')).toMatch(/already holds checkpoints .*add --resume to continue that run, --start-over to move its files into .*previous-<time>\/ and start a new one/);
  });

  it('info describes a model folder, checkpoint, cache, run and safetensors file', async () => {
    const run = join(dir, 'run');
    const model = capture();
    expect(await runCli(['info', join(run, 'final'), '--json'], model.io)).toBe(EXIT.ok);
    const info = JSON.parse(model.out.join('\n'));
    expect(info.kind).toBe('model');
    expect(info.config).toMatchObject({ hiddenSize: presets.tiny.hiddenSize, inChannels: 192, textDim: 64, textLength: 16 });
    expect(info.parameters).toBe(countParameters(info.config));
    expect(info.pipeline).toMatchObject({ textEncoder: 'random:tiny:0', autoencoder: 'pixel:8' });
    const modelText = capture();
    expect(await runCli(['info', join(run, 'final')], modelText.io)).toBe(EXIT.ok);
    expect(modelText.out.join('\n')).toMatch(/^pipeline folder .*final\n[\s\S]*pipeline: text encoder random:tiny:0, autoencoder pixel:8; latent std /);

    const runInfo = capture();
    expect(await runCli(['info', run, '--json'], runInfo.io)).toBe(EXIT.ok);
    const { checkpoints } = JSON.parse(runInfo.out.join('\n'));
    const last = checkpoints[checkpoints.length - 1];
    const checkpoint = capture();
    expect(await runCli(['info', join(run, 'checkpoints', last.name)], checkpoint.io)).toBe(EXIT.ok);
    const text = checkpoint.out.join('\n');
    expect(text).toContain(`position: step ${last.step} done`);
    expect(text).toMatch(/schedule finished/);
    expect(text).toMatch(/ema\.safetensors +\d+/);

    const cacheInfo = capture();
    expect(await runCli(['info', cache()], cacheInfo.io)).toBe(EXIT.ok);
    expect(cacheInfo.out.join('\n')).toMatch(/entries: 8 \(0 mirrored copies\)/);
    expect(cacheInfo.out.join('\n')).toMatch(/64x64 +\d+ entries, latents \[192, 8, 8\]/);

    const tensors = capture();
    expect(await runCli(['info', join(run, 'final', 'model.safetensors'), '--json'], tensors.io)).toBe(EXIT.ok);
    const file = JSON.parse(tensors.out.join('\n'));
    expect(file.tensors).toContainEqual({ name: 'x_embedder.weight', dtype: 'F32', shape: [presets.tiny.hiddenSize, 192 * 4] });
    expect(file.parameters).toBe(info.parameters);

    const missing = capture();
    expect(await runCli(['info', join(dir, 'dataset')], missing.io)).toBe(EXIT.usage);
  });

  it('sampling a run folder uses its final weights and the normalisation its checkpoint recorded', async () => {
    const run = join(dir, 'run');
    const entry = join(cache(), readdirSync(cache()).find((f) => f.endsWith('.safetensors'))!);
    const { io } = capture();
    expect(await runCli(['sample', '--model', run, '--entry', entry, '--steps', '2', '--sampler', 'heun', '--out', join(dir, 'samples')], io)).toBe(EXIT.ok);
    const png = join(dir, 'samples', readdirSync(join(dir, 'samples')).find((f) => f.endsWith('.png'))!);
    const text = readPngText(readFileSync(png));
    const schedule = JSON.parse(readFileSync(join(run, 'schedule.json'), 'utf8'));
    expect(Number(text.latent_std)).toBe(schedule[2].latentNorm.std);
    expect(Number(text.latent_offset)).toBe(schedule[2].latentNorm.offset);
    expect(text.model).toBe(join(run, 'final', 'model.safetensors'));
    expect(text.vae).toBe('pixel:8');
    expect([64, 48, 80]).toContain((await sharp(png).metadata()).width);

    // Prompts need no encoder flags: final/pipeline.json names the run's text encoder and autoencoder.
    const prompted = join(dir, 'samples-prompt');
    expect(await runCli(['sample', '--model', run, '--prompt', 'A red rose.', '--steps', '2', '--out', prompted], capture().io)).toBe(EXIT.ok);
    const promptText = readPngText(readFileSync(join(prompted, pngs(prompted)[0])));
    expect(promptText).toMatchObject({ prompt: 'A red rose.', text_encoder: 'random:tiny:0', vae: 'pixel:8', sampler: 'rk4', cfg: '1.5', latent_std: String(schedule[2].latentNorm.std) });
    expect([64, 48, 80]).toContain(Number(promptText.width));

    // A checkpoint: its EMA weights by default, or the raw ones with --weights model.
    const [latest] = readdirSync(join(run, 'checkpoints')).sort().reverse();
    for (const weights of ['ema', 'model']) {
      const out = join(dir, `samples-${weights}`);
      const args = ['sample', '--model', join(run, 'checkpoints', latest), '--entry', entry, '--steps', '1', '--out', out, ...(weights === 'model' ? ['--weights', 'model'] : [])];
      expect(await runCli(args, capture().io)).toBe(EXIT.ok);
      const settings = readPngText(readFileSync(join(out, pngs(out)[0])));
      expect(settings).toMatchObject({ weights, model: join(run, 'checkpoints', latest, `${weights}.safetensors`), latent_std: String(schedule[2].latentNorm.std) });
    }
  });

  it('names bad options and exits 2', async () => {
    const cases: [string[], RegExp][] = [
      [['--preset', 'huge'], /--preset: expected one of original, small, tiny, got 'huge'/],
      [['--optimizer', 'sgd'], /--optimizer: expected one of adamw, adamw-8bit/],
      [['--memory-budget', 'lots'], /--memory-budget must look like '16GB'/],
      [['--schedule', join(dir, 'nope.json')], /--schedule .*nope\.json: not one of original, original-as-logged/],
      [['--epochs', '2'], /epochs must be an integer >= the number of phases \(3\)/],
    ];
    await writeFile(join(dir, 'model.json'), JSON.stringify({ in_channels: 4, hidden_size: 32 }));
    cases.push([['--model-config', join(dir, 'model.json')], /in_channels is 4, but the cache .* holds 192 latent channels/]);
    for (const [extra, message] of cases) {
      const { io, err } = capture();
      expect(await runCli([...trainArgs(join(dir, 'bad')), ...extra], io), extra.join(' ')).toBe(EXIT.usage);
      expect(err.join('\n')).toMatch(message);
    }
  });
});

import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuForTests } from '../../../../tests/helpers/webgpu.js';
import { EXIT } from '../errors.js';
import { runCli } from '../main.js';
import { capture } from '../test-capture.js';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const flowers = fileURLToPath(new URL('../../../data/fixtures/flowers/', import.meta.url));
const webgpu = await webgpuForTests();

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dit-cli-backend-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The built `dit`, in its own process: it must also exit by itself when it is done. */
function dit(args: string[]) {
  const run = spawnSync(process.execPath, [bin, ...args], { cwd: dir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, DIT_BACKEND: '' } });
  expect(run.signal, `dit ${args[0]} did not exit by itself: ${run.stderr}`).toBeNull();
  return run;
}

describe('dit --backend', () => {
  it('names an unknown backend as a usage error', async () => {
    const { io, err } = capture();
    expect(await runCli(['sample', '--backend', 'tpu', '--model', dir, '--prompt', 'x'], io)).toBe(EXIT.usage);
    expect(err.join('\n')).toContain("--backend: unknown backend 'tpu'; expected one of node-gpu, webgpu, node, wasm, cpu");
  });

  it.skipIf(!webgpu.available)(`trains and samples on webgpu, tiny, and exits${webgpu.skipNote}`, async () => {
    expect(existsSync(bin), `${bin} missing: run pnpm build`).toBe(true);
    await cp(flowers, join(dir, 'dataset'), { recursive: true });
    const cache = ['--cache', 'cache'];
    const preprocess = ['preprocess', '--dataset', join(dir, 'dataset'), '--cache', join(dir, 'cache'), '--text-encoder', 'random:tiny', '--vae', 'pixel:8', '--buckets', '64x64,48x80,80x48', '--max-length', '16'];
    expect(await runCli(preprocess, capture().io)).toBe(EXIT.ok);
    const train = dit(['train', '--backend', 'webgpu', ...cache, '--out', 'run', '--preset', 'tiny', '--epochs', '3', '--batch-size', '2', '--latent-norm', 'cache', '--no-progress']);
    expect(train.status, train.stderr).toBe(0);
    expect(train.stderr).toMatch(/^tfjs backend: webgpu on .+ \(forced\)$/m);
    expect(train.stderr).toMatch(/^epoch 2 \(l1-normalised-ema\): mean loss \d/m);
    expect(train.stdout).toContain('model in run/final');
    const sample = dit(['sample', '--backend', 'webgpu', '--model', 'run/final', '--vae', 'pixel:8', '--text-encoder', 'random:tiny', '--prompt', 'a red flower', '--steps', '3', '--width', '64', '--height', '64', '--out', 'samples']);
    expect(sample.status, sample.stderr).toBe(0);
    expect(sample.stderr).toMatch(/^tfjs backend: webgpu on /m);
    expect(readdirSync(join(dir, 'samples')).filter((f) => f.endsWith('.png'))).toHaveLength(1);
  });
});

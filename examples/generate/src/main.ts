// The original's inference_unified.py, with its settings as flags:
//   pnpm --filter @dit/example-generate start                          (after `pnpm demo`)
//   pnpm --filter @dit/example-generate start -- --prompt "A red tulip." --batch 4 --cfg 2
//   pnpm --filter @dit/example-generate start -- --entry runs/demo/cache/39.safetensors
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '@dit/core';
import { generate } from './generate.js';
import { EXAMPLE_DEFAULTS } from './settings.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const text = { type: 'string' } as const;
const { values } = parseArgs({
  // pnpm passes a literal '--' through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    model: text,
    prompt: { type: 'string', multiple: true },
    'negative-prompt': text,
    'text-encoder': text,
    entry: { type: 'string', multiple: true },
    vae: text,
    width: text,
    height: text,
    steps: text,
    sampler: text,
    cfg: text,
    shift: text,
    seed: text,
    batch: text,
    'latent-std': text,
    'latent-offset': text,
    out: text,
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log(`usage: pnpm --filter @dit/example-generate start -- [--model DIR] [--prompt TEXT]... [--entry FILE]...
  [--negative-prompt TEXT] [--text-encoder SPEC] [--vae SPEC] [--width PX] [--height PX] [--steps N]
  [--sampler NAME] [--cfg W] [--shift S] [--seed N] [--batch N] [--latent-std X] [--latent-offset X] [--out DIR]
defaults: the demo's run (${EXAMPLE_DEFAULTS.model}: its final/ pipeline folder names the text encoder, autoencoder and
normalisation), ${EXAMPLE_DEFAULTS.width}x${EXAMPLE_DEFAULTS.height}, rk4, 50 steps, CFG 1.5`);
  process.exit(0);
}
const number = (name: string, value: string | undefined) => {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`--${name}: expected a number, got '${value}'`);
  return parsed;
};

await selectBackend({ log: (line) => console.log(line) });
const result = await generate({
  model: resolve(root, values.model ?? EXAMPLE_DEFAULTS.model),
  prompts: values.prompt,
  negativePrompt: values['negative-prompt'],
  textEncoder: values['text-encoder'],
  entries: values.entry?.map((entry) => resolve(entry)),
  vae: values.vae,
  width: number('width', values.width),
  height: number('height', values.height),
  steps: number('steps', values.steps),
  sampler: values.sampler,
  cfg: number('cfg', values.cfg),
  shift: number('shift', values.shift),
  seed: number('seed', values.seed),
  batch: number('batch', values.batch),
  latentStd: number('latent-std', values['latent-std']),
  latentOffset: number('latent-offset', values['latent-offset']),
  outDir: resolve(root, values.out ?? EXAMPLE_DEFAULTS.outDir),
  onImage: ({ path, settings }) => console.log(`${path}  (seed ${settings.seed}, ${settings.sampler} x${settings.steps}, cfg ${settings.cfg})`),
});
if (result.grid) console.log(`all images: ${result.grid}`);

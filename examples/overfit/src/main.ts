// The original's train_overfit.py: one bundled flower, a tiny model, the loss falling, and the
// flower drawn back from noise next to the original.
//   pnpm --filter @dit/example-overfit start
//   pnpm --filter @dit/example-overfit start -- --steps 1000 --lr 1e-3 --out /tmp/overfit
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend } from '@dit/core';
import { OVERFIT_EXAMPLE_DEFAULTS, type OverfitConfig } from './overfit-config.js';
import { runOverfit } from './run-overfit.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  // pnpm passes a literal '--' through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { steps: { type: 'string' }, lr: { type: 'string' }, image: { type: 'string' }, out: { type: 'string' }, help: { type: 'boolean' } },
});
if (values.help) {
  console.log('usage: pnpm --filter @dit/example-overfit start -- [--steps N] [--lr X] [--image FILE (with FILE.txt beside)] [--out DIR]');
  process.exit(0);
}
const positive = (name: string, text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(value > 0)) throw new Error(`--${name}: expected a number > 0, got '${text}'`);
  return value;
};

const config: OverfitConfig = {
  ...OVERFIT_EXAMPLE_DEFAULTS,
  image: resolve(values.image ?? join(here, '..', 'data', '29.png')),
  outDir: resolve(values.out ?? join(here, '..', '..', '..', 'runs', 'overfit')),
  steps: Math.round(positive('steps', values.steps, OVERFIT_EXAMPLE_DEFAULTS.steps)),
  lr: positive('lr', values.lr, OVERFIT_EXAMPLE_DEFAULTS.lr),
};
await selectBackend({ log: (line) => console.log(line) });
const started = Date.now();
const run = await runOverfit(config);
console.log(`\nloss ${run.firstLoss.toFixed(4)} (first tenth of the steps) -> ${run.finalLoss.toFixed(4)} (last tenth) in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`sample vs image latents: mean squared error ${run.sampleError.toFixed(4)}`);
console.log(`original:       ${run.files.original}`);
console.log(`reconstruction: ${run.files.reconstruction}`);
console.log(`side by side:   ${run.files.comparison}`);
console.log(`losses:         ${run.files.losses}`);

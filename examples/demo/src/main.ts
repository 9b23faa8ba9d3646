// The offline demo: bundled flowers -> cached latents -> a tiny SingleStreamDiTV2 through a
// scaled-down copy of the original's three-phase schedule -> generated flowers.
//   pnpm demo                      (from the repository root)
//   pnpm demo -- --epochs 60 --out /tmp/demo
//   pnpm demo -- --backend webgpu     (any backend name; default: the fastest present)
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseBackendName, selectBackend, writeJsonAtomic } from '@dit/core';
import { plotRun } from '@dit/train';
import { DEMO_DEFAULTS, type DemoConfig } from './demo-config.js';
import { runDemo } from './run-demo.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  // pnpm passes a literal '--' through.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    epochs: { type: 'string' },
    out: { type: 'string' },
    'validate-every': { type: 'string' },
    backend: { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help) {
  console.log('usage: pnpm demo [-- --epochs N] [--out DIR] [--validate-every N] [--backend node-gpu|webgpu|node|wasm|cpu]');
  process.exit(0);
}
const positive = (name: string, text: string | undefined, fallback: number) => {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 3) throw new Error(`--${name}: expected an integer >= 3, got '${text}'`);
  return value;
};

const config: DemoConfig = {
  ...DEMO_DEFAULTS,
  outDir: resolve(values.out ?? join(here, '..', '..', '..', 'runs', 'demo')),
  dataDir: join(here, '..', 'data'),
  epochs: positive('epochs', values.epochs, DEMO_DEFAULTS.epochs),
  validateEvery: positive('validate-every', values['validate-every'], DEMO_DEFAULTS.validateEvery),
};

const force = values.backend === undefined ? undefined : parseBackendName(values.backend, '--backend');
const backend = await selectBackend({ force, log: (line) => console.log(line), threads: Number(process.env.DIT_WASM_THREADS ?? 2) });
const result = await runDemo(config, { backend: backend.name });
await writeJsonAtomic(join(config.outDir, 'demo-result.json'), result);
const report = await plotRun({ runDir: config.outDir });
console.log(`\ndone in ${(result.seconds / 60).toFixed(1)} min. In ${config.outDir}:`);
console.log(`  generated vs training flowers: ${result.comparisonGrid}`);
console.log(`  validation samples per epoch:  ${join(config.outDir, 'samples')}/`);
console.log(`  samples grid over epochs:      ${report.sampleGrid ?? '(none)'}`);
console.log(`  loss curve:                    ${report.lossChart}`);
console.log(`  report page:                   ${report.report}`);
console.log(`  checkpoints / final weights:   ${join(config.outDir, 'checkpoints')}/, ${result.finalDir}`);
console.log(`  logs:                          ${join(config.outDir, 'log.csv')}, ${join(config.outDir, 'log.jsonl')}`);

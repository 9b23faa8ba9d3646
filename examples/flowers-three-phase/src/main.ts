// The faithful reproduction of the original flowers run (SPEC section 6):
//   pnpm --filter @dit/example-flowers-three-phase start -- --dataset /path/to/flowers-200 [--out runs/flowers]
//   ... --dry-run                 the plan, memory and time estimates, nothing trained
//   ... --scale tiny --epochs 6   the same script on a CPU in minutes
//   ... --resume                  continue after Ctrl-C (or a crash) from the newest checkpoint
//   ... --backend webgpu          on a GPU through WebGPU (any backend name; default: the fastest present)
import { formatDuration, selectBackend } from '@dit/core';
import { stopOnSignals } from '@dit/train';
import { parseFlowersArgs, resolvePathsFrom, USAGE } from './cli-args.js';
import { runFlowersThreePhase } from './run.js';

let parsed;
try {
  parsed = parseFlowersArgs(process.argv.slice(2));
} catch (error) {
  console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed === 'help') {
  console.log(USAGE);
  process.exit(0);
}

const { backend: requested, ...options } = parsed;
const backend = await selectBackend({ force: requested, log: (line) => console.log(line) });
const stop = stopOnSignals({ onSignal: (signal) => console.log(`\n${signal}: stopping after this step (again to quit at once)...`) });
try {
  const result = await runFlowersThreePhase({ ...resolvePathsFrom(options, process.env.INIT_CWD ?? process.cwd()), signal: stop.signal, backend: backend.name });
  if (result.status === 'completed') {
    console.log(`\ndone in ${formatDuration(result.seconds)}. In ${result.outDir}:`);
    console.log(`  final EMA weights:   ${result.finalDir}`);
    console.log(`  generated images:    ${result.generatedGrid}`);
    console.log(`  report:              ${result.report?.report} (loss ${result.report?.lossChart})`);
  }
} catch (error) {
  console.error(`error: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  stop.dispose();
}

// `dit <argv>` in its own process that SIGKILLs itself in the middle of its n-th safetensors write
// (DIT_FAULT_KILL_IN_WRITE=<n>): the temporary file holds the header and no tensor data yet. A
// kill at an exact point, where a kill from outside would race a write of a few microseconds.
// Run through packages/train/src/test-support/run-ts.mjs, as cli-child.ts.
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { main as cliMain } from './cli-child.js';

const fsPromises = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');

function killInWrite(n: number): void {
  const open = fsPromises.open;
  let writes = 0;
  fsPromises.open = (async (...args: Parameters<typeof open>) => {
    const handle = await open(...args);
    if (!/^\..+\.safetensors\.\d+\.[0-9a-z]+\.tmp$/.test(basename(String(args[0]))) || ++writes !== n) return handle;
    const write = handle.write.bind(handle) as (...a: unknown[]) => Promise<unknown>;
    let calls = 0;
    // The writer writes the length prefix, the header, then each tensor: die after the header.
    (handle as { write: unknown }).write = async (...a: unknown[]) => {
      const result = await write(...a);
      if (++calls === 2) process.kill(process.pid, 'SIGKILL');
      return result;
    };
    return handle;
  }) as typeof open;
  // ES module imports of node:fs/promises (the writer's) see the patched function.
  syncBuiltinESMExports();
}

export async function main(argv: string[]): Promise<void> {
  const n = Number(process.env.DIT_FAULT_KILL_IN_WRITE);
  if (!Number.isInteger(n) || n < 1) throw new Error(`DIT_FAULT_KILL_IN_WRITE must be a write number >= 1, got ${process.env.DIT_FAULT_KILL_IN_WRITE}`);
  killInWrite(n);
  await cliMain(argv);
}

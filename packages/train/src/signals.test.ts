import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readCheckpointState } from './checkpoint/load.js';
import { latestCheckpoint } from './checkpoint/list.js';
import { stopOnSignals, StopRequest } from './signals.js';

const root = mkdtempSync(join(tmpdir(), 'dit-train-signals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const runner = fileURLToPath(new URL('./test-support/run-ts.mjs', import.meta.url));
const child = fileURLToPath(new URL('./test-support/interrupt-child.ts', import.meta.url));

/** Runs the child trainer; `signalAfter` sends SIGINT once it prints that step. */
function runChild(args: string[], signalAfter?: number): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [runner, child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (signalAfter !== undefined && stdout.includes(`step ${signalAfter}\n`) && !stdout.includes('signalled')) {
        stdout += 'signalled\n';
        proc.kill('SIGINT');
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => (code === 0 ? resolve({ code, stdout }) : reject(new Error(`child exited ${code}: ${stderr.slice(-2000)}`))));
  });
}

describe('stopping on signals', () => {
  it('SIGINT finishes the step, checkpoints, exits 0 with the resume command; resuming completes the run', async () => {
    const outputDir = join(root, 'run');
    const first = await runChild([outputDir], 2);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('got SIGINT');
    expect(first.stdout).toContain(`resume with: node run-ts.mjs interrupt-child.ts ${outputDir} resume`);
    const stoppedAt = Number(/status interrupted step (\d+)/.exec(first.stdout)?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(stoppedAt).toBeLessThan(8);
    const checkpoint = (await latestCheckpoint(join(outputDir, 'checkpoints')))!;
    expect(checkpoint.state.position.globalStep).toBe(stoppedAt);
    expect((await readCheckpointState(checkpoint.path)).reason).toMatch(/interrupt|periodic|phase-end/);

    const second = await runChild([outputDir, 'resume']);
    expect(second.stdout).toContain('status completed step 8');
    expect(second.stdout).toContain(`step ${stoppedAt + 1}\n`);
    expect(second.stdout).not.toContain(`step ${stoppedAt}\n`);
    const steps = readFileSync(join(outputDir, 'log.csv'), 'utf8').trim().split('\n').slice(1).map((row) => Number(row.split(',')[1]));
    expect(steps).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 120_000);

  it('turns SIGTERM into an abort and removes its listeners on dispose', () => {
    const before = process.listenerCount('SIGTERM');
    const seen: string[] = [];
    const handle = stopOnSignals({ onSignal: (signal) => seen.push(signal), exitOnSecondSignal: false });
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    process.emit('SIGTERM', 'SIGTERM');
    process.emit('SIGTERM', 'SIGTERM');
    expect(handle.signal.aborted).toBe(true);
    expect(handle.signal.reason).toBeInstanceOf(StopRequest);
    expect(seen).toEqual(['SIGTERM']);
    handle.dispose();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });
});

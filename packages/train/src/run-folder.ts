import { existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { isCheckpointTemporary } from './checkpoint/retention.js';

/** What a run writes into its output folder (schedule.json aside, which describes the next run too). */
export const RUN_FILES = ['checkpoints', 'final', 'samples', 'log.csv', 'log.jsonl'] as const;

/** The run files present in `outputDir` (an empty or temporaries-only checkpoints/ does not count). */
export async function existingRunFiles(outputDir: string): Promise<string[]> {
  const present: string[] = [];
  for (const name of RUN_FILES) {
    const path = join(outputDir, name);
    if (!existsSync(path)) continue;
    if (name === 'checkpoints' && (await readdir(path)).every(isCheckpointTemporary)) continue;
    present.push(name);
  }
  return present;
}

/** Moves a previous run's files into `<outputDir>/previous-<time>/` and returns that folder. */
export async function moveRunAside(outputDir: string, files: readonly string[]): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  let target = join(outputDir, `previous-${stamp}`);
  for (let k = 2; existsSync(target); k++) target = join(outputDir, `previous-${stamp}-${k}`);
  await mkdir(target, { recursive: true });
  for (const name of files) await rename(join(outputDir, name), join(target, name));
  return target;
}

/** Why a new run does not start in `outputDir`, and the ways forward (API words). */
export function refuseNewRun(outputDir: string, files: readonly string[], latestCheckpoint: string | undefined): string {
  const what = latestCheckpoint ? `checkpoints (latest ${latestCheckpoint})` : `a run's files (${files.join(', ')})`;
  return `${outputDir} already holds ${what}; pass resume: true to continue that run, startOver: true to move its files into ${outputDir}/previous-<time>/ and start a new one, or use another outputDir`;
}

import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SafetensorsFile } from '@dit/core';
import { CHECKPOINT_FILES, parseTrainState, type CheckpointFileDigest, type TrainState } from './state.js';

/** What is wrong with a checkpoint folder, as one clause ("state.json is not valid JSON: ..."). */
export class CheckpointDamage extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: damaged checkpoint: ${problem}`);
    this.name = 'CheckpointDamage';
  }
}

/** The files a checkpoint must hold, given its state (ema.safetensors only with an EMA). */
export function expectedCheckpointFiles(state: Pick<TrainState, 'ema'>): string[] {
  const { config, model, optimizer, ema } = CHECKPOINT_FILES;
  return state.ema ? [config, model, optimizer, ema] : [config, model, optimizer];
}

export async function fileDigest(path: string): Promise<CheckpointFileDigest> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 4 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Digests of a checkpoint's files (all but state.json), recorded in state.json when it is saved. */
export async function checkpointDigests(path: string, files: readonly string[]): Promise<Record<string, CheckpointFileDigest>> {
  const digests: Record<string, CheckpointFileDigest> = {};
  for (const file of files) digests[file] = await fileDigest(join(path, file));
  return digests;
}

/**
 * The checks that read no tensor data: state.json parses and is a training state, every file is
 * there with the size recorded at save, config.json is JSON, and every safetensors header is
 * valid (which also catches truncated files). Throws CheckpointDamage.
 */
export async function inspectCheckpoint(path: string): Promise<TrainState> {
  const statePath = join(path, CHECKPOINT_FILES.state);
  if (!existsSync(statePath)) throw new CheckpointDamage(path, `${CHECKPOINT_FILES.state} is missing`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(statePath, 'utf8'));
  } catch (error) {
    throw new CheckpointDamage(path, `${CHECKPOINT_FILES.state} is not valid JSON (${(error as Error).message})`);
  }
  let state: TrainState;
  try {
    state = parseTrainState(json, CHECKPOINT_FILES.state);
  } catch (error) {
    throw new CheckpointDamage(path, (error as Error).message);
  }
  for (const file of expectedCheckpointFiles(state)) {
    const filePath = join(path, file);
    if (!existsSync(filePath)) throw new CheckpointDamage(path, `${file} is missing`);
    const recorded = state.files?.[file];
    const { size } = await stat(filePath);
    if (recorded && recorded.bytes !== size) throw new CheckpointDamage(path, `${file} is ${size} bytes, ${recorded.bytes} when it was saved`);
    if (file === CHECKPOINT_FILES.config) {
      try {
        JSON.parse(await readFile(filePath, 'utf8'));
      } catch (error) {
        throw new CheckpointDamage(path, `${file} is not valid JSON (${(error as Error).message})`);
      }
      continue;
    }
    try {
      await (await SafetensorsFile.open(filePath)).close();
    } catch (error) {
      throw new CheckpointDamage(path, `${file} is not a valid safetensors file (${(error as Error).message.replace(`${filePath}: `, '')})`);
    }
  }
  return state;
}

/** Compares every file with the sha256 recorded at save (reads them whole). Throws CheckpointDamage. */
export async function verifyCheckpointDigests(path: string, state: TrainState): Promise<void> {
  for (const [file, recorded] of Object.entries(state.files ?? {})) {
    const { sha256 } = await fileDigest(join(path, file));
    if (sha256 !== recorded.sha256) throw new CheckpointDamage(path, `${file} does not match the sha256 recorded when it was saved (its bytes changed since)`);
  }
}

import { mkdir, rename, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathFor, writeJsonAtomic, writeSafetensors } from '@dit/core';
import type { SingleStreamDiTV2 } from '@dit/model';
import type { Ema } from '../ema.js';
import type { Optimizer } from '../optim/optimizer.js';
import { listCheckpoints } from './list.js';
import { checkpointDigests, expectedCheckpointFiles } from './integrity.js';
import { CHECKPOINT_FILES, CHECKPOINT_FORMAT, CHECKPOINT_VERSION, type TrainState } from './state.js';
import { toTorchLayout } from './torch-layout.js';

/** A checkpoint could not be written; the previous one (named in the message) is untouched. */
export class CheckpointWriteError extends Error {
  constructor(
    message: string,
    readonly cause: unknown,
  ) {
    super(message);
    this.name = 'CheckpointWriteError';
  }
}

export interface SaveCheckpointOptions {
  /** Folder holding the run's checkpoints (`<outputDir>/checkpoints`). */
  dir: string;
  model: SingleStreamDiTV2;
  optimizer: Optimizer;
  ema: Ema | null;
  /**
   * Receives the warning that the original project's code cannot run the weights (text length
   * other than 256, patch size other than 2). Default: @dit/model's process warning, once a process.
   */
  onWarning?: (message: string) => void;
  /** The state without the parts this function fills in (format, time, optimiser and EMA metadata, file digests). */
  state: Omit<TrainState, 'format' | 'version' | 'savedAt' | 'optimizer' | 'ema' | 'files'>;
}

/** Folder name of a checkpoint: sortable by step, readable by epoch. */
export function checkpointName(state: Pick<TrainState, 'position' | 'completedEpoch'>): string {
  // Before the first epoch is done (a non-finite first step) completedEpoch is -1: name the epoch in progress.
  const epoch = state.completedEpoch !== null && state.completedEpoch >= 0 ? state.completedEpoch : state.position.epoch;
  return `epoch-${String(epoch).padStart(4, '0')}-step-${String(state.position.globalStep).padStart(7, '0')}`;
}

/**
 * Writes a checkpoint folder: model.safetensors + config.json (PyTorch names, loadable by the
 * original and by `SingleStreamDiTV2.fromPretrained`), ema.safetensors (same names, when there is
 * an EMA), optimizer.safetensors and state.json (with the size and sha256 of each other file).
 * Everything goes to a temporary sibling folder
 * first and is renamed into place at the end, so a crash or a full disk never leaves a
 * half-written checkpoint, and never touches the previous one.
 */
export async function saveCheckpoint(options: SaveCheckpointOptions): Promise<{ name: string; path: string }> {
  const { dir, model, optimizer, ema } = options;
  const name = checkpointName(options.state);
  const path = join(dir, name);
  const temp = tempPathFor(path);
  try {
    await mkdir(temp, { recursive: true });
    await model.savePretrained(temp, { onWarning: options.onWarning && ((message) => options.onWarning!(message.replace(temp, path))) });
    const optimizerState = await optimizer.snapshot();
    await writeSafetensors(join(temp, CHECKPOINT_FILES.optimizer), optimizerState.tensors, {
      metadata: { format: 'dit-optimizer', kind: optimizerState.meta.kind, layout: 'tfjs (Linear weights [in, out])' },
    });
    let emaMeta = null;
    if (ema) {
      const snapshot = await ema.snapshot();
      emaMeta = snapshot.meta;
      await writeSafetensors(join(temp, CHECKPOINT_FILES.ema), await toTorchLayout(model.namedVariables(), ema.weights), {
        metadata: { format: 'pt', dit_ema_decay: String(snapshot.meta.decay), dit_ema_updates: String(snapshot.meta.nAveraged) },
      });
    }
    const state: TrainState = {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      savedAt: new Date().toISOString(),
      ...options.state,
      optimizer: optimizerState.meta,
      ema: emaMeta,
      // Read back as written, so a resume can tell a file whose bytes changed since.
      files: await checkpointDigests(temp, expectedCheckpointFiles({ ema: emaMeta })),
    };
    await writeJsonAtomic(join(temp, CHECKPOINT_FILES.state), state);
    if (existsSync(path)) {
      // Same step saved twice (e.g. a resumed run stopped again at once): swap the folders.
      const old = tempPathFor(path);
      await rename(path, old);
      await rename(temp, path);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, path);
    }
    return { name, path };
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined);
    const previous = await listCheckpoints(dir).catch(() => []);
    const kept = previous.length > 0 ? `the previous checkpoint ${previous[previous.length - 1].path} is intact` : 'there is no earlier checkpoint';
    throw new CheckpointWriteError(`could not write checkpoint ${path}: ${(error as Error).message}; ${kept}`, error);
  }
}

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeJsonAtomic } from '@dit/core';
import { CliError, EXIT } from '../errors.js';

/** `<out>/run.json`: the cache folder, the command line that continues the run, and the encoders that sample it. */
export const RUN_FILE = 'run.json';

/** What `dit train` records in run.json for tools outside the process (examples/pytorch-accelerate, `dit sample` on a checkpoint). */
export interface RunRecord {
  /** The latent cache's absolute path. */
  cache: string;
  /** The command line that continues the run. */
  resume: string;
  /** The autoencoder spec (`loadAutoencoder`) the run's cache was encoded with, or the one asked for. */
  vae: string;
  /** The text encoder spec (`loadTextEncoder`) of the cache. */
  textEncoder: string;
}

export function writeRunRecord(runDir: string, record: RunRecord): Promise<void> {
  return writeJsonAtomic(join(runDir, RUN_FILE), record);
}

/** The run's record, or null when the run has none (runs from before run.json, runs of the library API). */
export async function readRunRecord(runDir: string): Promise<RunRecord | null> {
  const path = join(runDir, RUN_FILE);
  if (!existsSync(path)) return null;
  let record: unknown;
  try {
    record = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new CliError(`${path}: cannot read it as JSON (${(error as Error).message}); dit train writes it again on --resume`, EXIT.usage);
  }
  const fields = record as Record<string, unknown>;
  for (const field of ['cache', 'resume', 'vae', 'textEncoder'] as const) {
    if (typeof fields?.[field] !== 'string') throw new CliError(`${path}: '${field}' must be a string, got ${JSON.stringify(fields?.[field])}; dit train writes it again on --resume`, EXIT.usage);
  }
  return record as RunRecord;
}

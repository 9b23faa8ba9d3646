import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readAllTensors } from '@dit/core';
import { parseT5Gemma2Config, type T5Gemma2EncoderConfig } from './config.js';

/** Test-only helpers for the fixtures written by tools/reference/t5gemma_fixtures.py. */
export const FIXTURES = fileURLToPath(new URL('../../fixtures/t5gemma/', import.meta.url));
export const TINY = `${FIXTURES}tiny`;
export const TINY_TEXT_MODEL_SHARDED = `${FIXTURES}tiny-text-model-sharded`;
export const LAYOUT_1B = `${FIXTURES}t5gemma-2-1b-1b-layout.json`;

export async function tinyConfig(): Promise<T5Gemma2EncoderConfig> {
  return parseT5Gemma2Config(JSON.parse(await readFile(`${TINY}/config.json`, 'utf8')), `${TINY}/config.json`);
}

export interface ParityCase {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  batch: number;
  length: number;
  expected: Float32Array;
  hidden: number;
}

export async function parityCases(): Promise<ParityCase[]> {
  const { tensors } = await readAllTensors(`${FIXTURES}parity.safetensors`);
  const cases: ParityCase[] = [];
  for (let i = 0; tensors.has(`case${i}.input_ids`); i++) {
    const ids = tensors.get(`case${i}.input_ids`)!;
    const out = tensors.get(`case${i}.last_hidden_state`)!;
    cases.push({
      inputIds: ids.data as Int32Array,
      attentionMask: tensors.get(`case${i}.attention_mask`)!.data as Int32Array,
      batch: ids.shape[0],
      length: ids.shape[1],
      expected: out.data as Float32Array,
      hidden: out.shape[2],
    });
  }
  return cases;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

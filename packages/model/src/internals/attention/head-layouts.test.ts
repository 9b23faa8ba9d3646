import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ropeTables } from '../../rope.js';
import { setFusedKernelsEnabled } from '../kernels/registry.js';
import { transposeEach } from '../kernels/transpose.js';
import { maxAbsDiff } from '../test-helpers.js';
import { headsToQkvGradient, headsToRows, qkvToHeads, rowsToHeads } from './head-layouts.js';

// batch 2, 3 heads of head_dim 8, 2 text tokens + a 2 x 3 image grid = 8 tokens.
const layout = { batch: 2, heads: 3 };
const headDim = 8;
const rope = () => ropeTables({ textLength: 2, gridHeight: 2, gridWidth: 3, headDim });
const tokens = 8;
const width = layout.heads * headDim;
const scale = 1 / Math.sqrt(headDim);
const random = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

const startBackend = tf.getBackend();
afterAll(async () => {
  setFusedKernelsEnabled(true);
  await tf.setBackend(startBackend);
});

/** Runs `f` with the fused kernels and with their tfjs-op fallbacks; returns both results' values. */
async function bothPaths(f: () => tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const read = async (tensors: tf.Tensor[]) => {
    const values = await Promise.all(tensors.map(async (t) => (await t.data()) as Float32Array));
    tf.dispose(tensors);
    return values;
  };
  setFusedKernelsEnabled(true);
  const fused = await read(f());
  setFusedKernelsEnabled(false);
  const fallback = await read(f());
  setFusedKernelsEnabled(true);
  return [fused, fallback];
}

function expectClose(a: Float32Array[], b: Float32Array[], tolerance = 1e-6) {
  expect(a.length).toBe(b.length);
  a.forEach((values, i) => expect(maxAbsDiff(values, b[i]), `output ${i}`).toBeLessThan(tolerance));
}

/** <a, b> summed over lists of tensors. */
async function dot(a: tf.Tensor[], b: tf.Tensor[]): Promise<number> {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += (await tf.sum(tf.mul(a[i], b[i])).data())[0];
  return total;
}

// The kernels exist for wasm and cpu; both are registered wherever @dit/core picked wasm (as in
// CI). Under DIT_BACKEND=node only cpu is, and the wasm half is left out.
const registered = ['wasm', 'cpu'].filter((name) => tf.findBackendFactory(name) != null);

describe.each(registered)('fused attention-layout kernels on %s', (backend) => {
  beforeEach(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
  });

  it('give the same results as their tfjs-op fallbacks', async () => {
    const tables = rope();
    const qkv = random([layout.batch * tokens, 3 * width], 1);
    const rows = random([layout.batch * tokens, width], 2);
    const perHead = (seed: number, shape: [number, number]) => Array.from({ length: 6 }, (_, g) => random(shape, seed + g) as tf.Tensor2D);
    const dq = perHead(10, [tokens, headDim]);
    const dkT = perHead(20, [headDim, tokens]);
    const dvT = perHead(30, [headDim, tokens]);
    const p = tf.softmax(random([5, 7], 3)) as tf.Tensor2D;
    const dp = random([5, 7], 4) as tf.Tensor2D;

    expectClose(...(await bothPaths(() => {
      const h = qkvToHeads(qkv as tf.Tensor2D, tables, layout, scale);
      return [...h.queries, ...h.keysT, ...h.values];
    })));
    expectClose(...(await bothPaths(() => [headsToRows(dq, layout)])));
    expectClose(...(await bothPaths(() => {
      const h = rowsToHeads(rows as tf.Tensor2D, layout);
      return [...h.plain, ...h.transposed!];
    })));
    expectClose(...(await bothPaths(() => [headsToQkvGradient(dq, dkT, dvT, tables, layout, scale)])));
    expectClose(...(await bothPaths(() => transposeEach([qkv as tf.Tensor2D, p]))));
    tf.dispose([qkv, rows, ...dq, ...dkT, ...dvT, p, dp, tables.cos, tables.sin]);
  });

  it('pair each layout with its adjoint: <f(x), y> = <x, f^T(y)>', async () => {
    const tables = rope();
    const qkv = random([layout.batch * tokens, 3 * width], 5) as tf.Tensor2D;
    const heads = qkvToHeads(qkv, tables, layout, scale);
    const dq = heads.queries.map((_, g) => random([tokens, headDim], 40 + g) as tf.Tensor2D);
    const dkT = heads.keysT.map((_, g) => random([headDim, tokens], 50 + g) as tf.Tensor2D);
    const dvT = heads.values.map((_, g) => random([headDim, tokens], 60 + g) as tf.Tensor2D);
    const dv = transposeEach(dvT);
    // qkvToHeads is linear in qkv: headsToQkvGradient must be its transpose (the backward pass),
    // with the values' gradient given transposed.
    const forward = await dot([...heads.queries, ...heads.keysT, ...heads.values], [...dq, ...dkT, ...dv]);
    const dQkv = headsToQkvGradient(dq, dkT, dvT, tables, layout, scale);
    const backward = await dot([qkv], [dQkv]);
    expect(Math.abs(forward - backward)).toBeLessThan(1e-3 * Math.max(1, Math.abs(forward)));

    // headsToRows and rowsToHeads are inverse permutations.
    const merged = headsToRows(heads.values, layout);
    const split = rowsToHeads(merged, layout);
    split.plain.forEach((piece, g) => expect(maxAbsDiff(piece.dataSync(), heads.values[g].dataSync())).toBe(0));
    split.transposed!.forEach((piece, g) => expect(maxAbsDiff(piece.dataSync(), tf.transpose(heads.values[g]).dataSync())).toBe(0));
    tf.dispose([qkv, ...heads.queries, ...heads.keysT, ...heads.values, ...dq, ...dkT, ...dvT, ...dv, dQkv, merged, ...split.plain, ...split.transposed!, tables.cos, tables.sin]);
  });
});

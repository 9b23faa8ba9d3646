import { describe, expect, it } from 'vitest';
import { BucketBatchSampler, type SampledBatch } from './bucket-batch-sampler.js';

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
// 10 + 13 + 3 items; with batch 4 and drop-last: 2 + 3 + 0 batches an epoch
const buckets = new Map([
  ['64x64', range(0, 10)],
  ['48x80', range(10, 23)],
  ['80x48', range(23, 26)],
]);
const bucketOf = (index: number) => [...buckets].find(([, indices]) => indices.includes(index))![0];
const epochOf = (sampler: BucketBatchSampler) => [...sampler.epochBatches()];

describe('BucketBatchSampler', () => {
  it('draws each batch from one bucket and each item at most once an epoch, dropping short batches', () => {
    const sampler = new BucketBatchSampler({ buckets, batchSize: 4, seed: 1 });
    expect(sampler.batchesPerEpoch).toBe(5);
    for (let epoch = 0; epoch < 3; epoch++) {
      const batches = epochOf(sampler);
      expect(batches.map((b) => [b.epoch, b.position])).toEqual(range(0, 5).map((p) => [epoch, p]));
      for (const batch of batches) {
        expect(batch.indices).toHaveLength(4);
        expect(new Set(batch.indices.map(bucketOf))).toEqual(new Set([batch.bucket]));
      }
      const seen = batches.flatMap((b) => b.indices);
      expect(new Set(seen).size).toBe(20);
      expect(seen.filter((i) => bucketOf(i) === '80x48')).toEqual([]);
    }
  });

  it('without drop-last serves every item exactly once an epoch', () => {
    const sampler = new BucketBatchSampler({ buckets, batchSize: 4, dropLast: false });
    expect(sampler.batchesPerEpoch).toBe(3 + 4 + 1);
    const seen = epochOf(sampler).flatMap((b) => b.indices);
    expect(seen.sort((a, b) => a - b)).toEqual(range(0, 26));
  });

  it('orders batches by seed and epoch only', () => {
    const order = (seed: number, epoch: number) => new BucketBatchSampler({ buckets, batchSize: 4, seed }).batchesForEpoch(epoch).map((b) => b.indices.join());
    expect(order(7, 0)).toEqual(order(7, 0));
    expect(order(7, 0)).not.toEqual(order(8, 0));
    expect(order(7, 0)).not.toEqual(order(7, 1));
    // a map built in another order gives the same batches
    const reversed = new BucketBatchSampler({ buckets: Object.fromEntries([...buckets].reverse()), batchSize: 4, seed: 7 });
    expect(reversed.batchesForEpoch(0).map((b) => b.indices.join())).toEqual(order(7, 0));
    // shuffle off: in index order, buckets by name
    const plain = new BucketBatchSampler({ buckets, batchSize: 4, shuffle: false }).batchesForEpoch(0);
    expect(plain.map((b) => b.indices[0])).toEqual([10, 14, 18, 0, 4]);
  });

  it('resumes mid-epoch from a saved state with exactly the remaining batches, then carries on', () => {
    const a = new BucketBatchSampler({ buckets, batchSize: 4, seed: 3 });
    epochOf(a);
    a.next();
    a.next();
    const state = JSON.parse(JSON.stringify(a.getState()));
    expect(state).toMatchObject({ epoch: 1, position: 2 });
    const rest: SampledBatch[] = [...epochOf(a), ...epochOf(a)];

    const b = new BucketBatchSampler({ buckets, batchSize: 4, seed: 3 });
    b.setState(state);
    expect([...epochOf(b), ...epochOf(b)]).toEqual(rest);
    expect(b.getState()).toMatchObject({ epoch: 3, position: 0 });
  });

  it('refuses a state from another sampler and a batch size nothing fills', () => {
    const sampler = new BucketBatchSampler({ buckets, batchSize: 4, seed: 3 });
    expect(() => sampler.setState({ ...sampler.getState(), seed: 4 })).toThrow(/another sampler: seed 4 \(sampler has 3\)/);
    expect(() => sampler.setState({ ...sampler.getState(), items: 30 })).toThrow(/items 30 \(sampler has 26\)/);
    expect(() => sampler.setState({ ...sampler.getState(), position: 5 })).toThrow(/position 5 out of range \(5 batches an epoch\)/);
    expect(() => new BucketBatchSampler({ buckets, batchSize: 16 })).toThrow(/no bucket holds a full batch of 16 \(48x80: 13, 64x64: 10, 80x48: 3\)/);
    expect(() => new BucketBatchSampler({ buckets, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
  });
});

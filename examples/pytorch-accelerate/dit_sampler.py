"""Which batches a @dit phase trains, in @dit's order (packages/data/src/bucket-batch-sampler.ts).

Every batch comes from one bucket; each epoch every bucket is shuffled and cut into full batches,
then the batch order is shuffled, all from `DitRng("bucket-batch-sampler/<seed>/<epoch>")`. The
order is a function of (seed, epoch) alone, which is what lets this script start in the middle
of an epoch @dit began, and @dit continue in the middle of one this script began.
"""
from dit_random import DitRng


def bucket_key(bucket):
    return f"{bucket['width']}x{bucket['height']}"


def phase_buckets(entries, flip):
    """Dataset indices per bucket for a phase, and whether it mirrors at load time (train/dataset.ts)."""
    has_cached_flips = any(entry["flipped"] for entry in entries)
    buckets = {}
    for index, entry in enumerate(entries):
        if flip or not entry["flipped"]:
            buckets.setdefault(bucket_key(entry["bucket"]), []).append(index)
    items = sum(len(indices) for indices in buckets.values())
    return buckets, flip and not has_cached_flips, items


def _natural_key(key):
    width, height = key.split("x")
    return (int(width), int(height))


class BucketBatches:
    """The epochs of one phase: `batches_for_epoch(e)` is the list @dit's sampler hands out."""

    def __init__(self, buckets, batch_size, seed):
        self.buckets = sorted(((key, list(indices)) for key, indices in buckets.items()), key=lambda item: _natural_key(item[0]))
        self.batch_size = batch_size
        self.seed = seed
        self.batches_per_epoch = sum(len(indices) // batch_size for _, indices in self.buckets)
        if self.batches_per_epoch == 0:
            sizes = ", ".join(f"{key}: {len(indices)}" for key, indices in self.buckets) or "no items"
            raise ValueError(f"no bucket holds a full batch of {batch_size} ({sizes})")

    def batches_for_epoch(self, epoch):
        rng = DitRng(f"bucket-batch-sampler/{self.seed}/{epoch}")
        batches = []
        for key, indices in self.buckets:
            order = rng.shuffle(list(indices))
            for start in range(0, len(order) - self.batch_size + 1, self.batch_size):
                batches.append((key, order[start : start + self.batch_size]))
        rng.shuffle(batches)
        return batches

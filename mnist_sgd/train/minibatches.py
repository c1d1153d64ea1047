"""The random streams every backend shares: the N' subset and the per-epoch shuffles.

Both derive from the run's integer seed through ``numpy.random.SeedSequence`` with a tag
per purpose, so that the subset drawn for (seed, N') is the same for every backend and
learning rate, and so is the order of the minibatches in every epoch.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

_SUBSET_TAG = 1
_SHUFFLE_TAG = 2


def draw_subset(n_total: int, n_subset: int, seed: int) -> np.ndarray:
    """Indices of a uniform random subset of size ``n_subset`` of ``range(n_total)``, without replacement.

    Returns:
        int64 (n_subset,), sorted; ``arange(n_total)`` when ``n_subset == n_total``.
    """
    if not 1 <= n_subset <= n_total:
        raise ValueError(f"subset size {n_subset} must be between 1 and the training-set size {n_total}")
    if n_subset == n_total:
        return np.arange(n_total, dtype=np.int64)
    rng = np.random.default_rng(np.random.SeedSequence([seed, _SUBSET_TAG, n_subset]))
    return np.sort(rng.choice(n_total, size=n_subset, replace=False)).astype(np.int64)


def epoch_orders(seed: int, n: int, epochs: int) -> Iterator[np.ndarray]:
    """The visiting order of the ``n`` training examples in each of ``epochs`` epochs.

    Yields:
        int64 (n,) permutations, one per epoch, from one generator seeded by ``seed``.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, _SHUFFLE_TAG]))
    for _ in range(epochs):
        yield rng.permutation(n)


def minibatches(order: np.ndarray, batch_size: int) -> Iterator[np.ndarray]:
    """Consecutive slices of ``order`` of length ``batch_size``; the last one may be shorter."""
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]

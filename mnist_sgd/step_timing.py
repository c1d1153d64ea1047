"""How long one epoch of minibatch SGD takes per batch size B, for the two implementations:

- ``textbook``: :func:`mnist_sgd.train.textbook.sgd_epoch`, the vectorised NumPy step of the
  assignment (one BLAS product per minibatch, so a fixed cost per update);
- ``kernel``: :func:`mnist_sgd.train.compiled_kernel.sgd_epoch`, the compiled per-example kernel
  that trains the runs (its cost is per example, nearly the same at every B).

Both walk the same visiting order from the same zero weights at lr = ``lr_per_example`` x B
(the same step per example at every B; the numbers are not kept, only the time). One BLAS
thread, as the training jobs (the rule declares ``threads: 1``).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from mnist_sgd.train import compiled_kernel
from mnist_sgd.train.minibatches import epoch_orders
from mnist_sgd.train.textbook import Params
from mnist_sgd.train.textbook_blas import sgd_epoch

IMPLEMENTATIONS = ("textbook", "kernel")
COLUMNS = [
    "implementation",
    "batch_size",
    "n_train",
    "lr",
    "epochs_timed",
    "examples",
    "updates",
    "seconds",
    "seconds_per_epoch",
    "seconds_per_update",
    "seconds_per_example",
]


def _epoch_function(implementation: str, X: np.ndarray, Y: np.ndarray, rows: compiled_kernel.SparseRows):
    """A function (order, B, lr) -> updates: one epoch of ``implementation``, from zero weights it then keeps."""
    d, k = X.shape[1], Y.shape[1]
    if implementation == "textbook":
        params = Params.zeros(d, k, X.dtype.name)
        return lambda order, b, lr: sgd_epoch(params, X, Y, order, b, lr)
    Wp, bias = compiled_kernel.padded(np.zeros((d, k), X.dtype)), np.zeros(0, X.dtype)
    return lambda order, b, lr: compiled_kernel.sgd_epoch(
        Wp, bias, rows.indptr, rows.indices, rows.values, Y, order, b, lr
    )


def time_epochs(
    X: np.ndarray,
    Y: np.ndarray,
    batch_sizes: list[int],
    epochs: int = 2,
    examples: int | None = None,
    lr_per_example: float = 3e-5,
    seed: int = 0,
    clock=time.perf_counter,
) -> pd.DataFrame:
    """Time ``epochs`` epochs of each implementation at every B, on the same orders.

    Args:
        X: (n, d) images in [0, 1] (float32 or float64); Y: (n, k) one-hot targets, same dtype.
        batch_sizes: the B to time; epochs: epochs timed per (implementation, B).
        examples: time only the first ``examples`` of each epoch's order (None: all n); the
            time of a full epoch is then extrapolated per example.
        lr_per_example: lr / B of every timed run.
        seed: of the visiting orders (:func:`mnist_sgd.train.minibatches.epoch_orders`).
        clock: seconds (``time.perf_counter``; tests pass a fake one).

    Returns:
        one row per (implementation, B), columns :data:`COLUMNS`; ``examples`` and ``updates``
        are totals over the timed epochs (updates = ceil(m / B) per epoch of m examples).
    """
    n = len(X)
    m = n if examples is None else min(int(examples), n)
    orders = [order[:m] for order in epoch_orders(seed, n, epochs)]
    rows = compiled_kernel.sparse_rows(X)  # built once per job by the training runs too: not timed
    Y = np.ascontiguousarray(Y, dtype=X.dtype)
    out = []
    for implementation in IMPLEMENTATIONS:
        for b in batch_sizes:
            lr = float(f"{lr_per_example * b:.12g}")  # 0.0003, not 0.00030000000000000003
            _epoch_function(implementation, X, Y, rows)(orders[0][: 2 * b], b, lr)  # compile / warm up
            epoch = _epoch_function(implementation, X, Y, rows)
            updates, seconds = 0, 0.0
            for order in orders:
                start = clock()
                updates += epoch(order, b, lr)
                seconds += clock() - start
            total = m * epochs
            out.append(
                {
                    "implementation": implementation,
                    "batch_size": b,
                    "n_train": n,
                    "lr": lr,
                    "epochs_timed": epochs,
                    "examples": total,
                    "updates": updates,
                    "seconds": seconds,
                    "seconds_per_epoch": seconds / total * n,
                    "seconds_per_update": seconds / updates,
                    "seconds_per_example": seconds / total,
                }
            )
            print(
                f"{implementation:8s} B = {b:>6,}: {seconds:.3f} s for {total:,} examples in {updates:,} updates "
                f"({seconds / total * n:.3f} s per epoch of {n:,})",
                flush=True,
            )
    return pd.DataFrame(out, columns=COLUMNS)


def expected_updates(n_examples: int, batch_size: int, epochs: int) -> int:
    """Updates of ``epochs`` epochs of ``n_examples`` in minibatches of B: ceil(n / B) each."""
    return math.ceil(n_examples / batch_size) * epochs

"""Kernels tried for issue 12 but not (yet) used by the workflow, kept so that
``perf.bench_sgd`` times them beside the package's own in one process.

- :func:`evaluate_padded`: evaluation with W padded to 16 columns (a full AVX-512 register
  of float32 per row of W). The product's first 10 columns are the same numbers on
  OpenBLAS' SkylakeX kernel; the gain measured inside a whole evaluation was within noise.
"""

from __future__ import annotations

import numpy as np

from mnist_sgd.train.loop import EvalSet
from mnist_sgd.train.sgd import Params, loss_of_scores

PAD_COLUMNS = 16


def evaluate_padded(params: Params, data: EvalSet) -> tuple[float, float]:
    """(loss, accuracy) as :func:`mnist_sgd.train.loop.evaluate`, with X (n, d) @ W (d, 16)."""
    d, k = params.W.shape
    W = np.zeros((d, -(-k // PAD_COLUMNS) * PAD_COLUMNS), dtype=params.W.dtype)
    W[:, :k] = params.W
    with np.errstate(all="ignore"):
        S = (data.X @ W)[:, :k]
        if params.b is not None:
            S += params.b
        return loss_of_scores(S, data.Y), float(np.mean(S.argmax(axis=1) == data.labels))

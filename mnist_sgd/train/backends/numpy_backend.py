"""Backend ``numpy`` (the name in the config and in every result path): the hand-coded SGD,
run by the compiled kernel :func:`mnist_sgd.train.compiled_kernel.sgd_epoch` on NumPy arrays.

It is not the NumPy code of :mod:`mnist_sgd.train.textbook`: that is the textbook reference,
the same algorithm written with NumPy array operations, which the tests hold this backend to.
A grid job's lrs of this backend train together (:mod:`mnist_sgd.train.lockstep`).
"""

from __future__ import annotations

import numpy as np

from mnist_sgd.train import compiled_kernel
from mnist_sgd.train.textbook import Params

#: The trainer takes the nonzero pixels of X when the caller has them (make_trainer's ``rows``).
READS_SPARSE_ROWS = True


class Trainer:
    """Minibatch SGD on X (n, d), one-hot Y (n, k); ``params`` are copied, then updated in place.

    ``rows``: ``compiled_kernel.sparse_rows(X)`` if already built (it is rebuilt when None).
    """

    def __init__(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        params: Params,
        batch_size: int,
        lr: float,
        rows: compiled_kernel.SparseRows | None = None,
    ) -> None:
        if rows is not None and (len(rows), rows.n_features) != X.shape:
            raise ValueError(f"rows of {len(rows)} x {rows.n_features} given for X of shape {X.shape}")
        self.rows = compiled_kernel.sparse_rows(X) if rows is None else rows
        self.Y = np.ascontiguousarray(Y, dtype=params.W.dtype)
        self.batch_size, self.lr = batch_size, lr
        self.k = params.W.shape[1]
        self.Wp = compiled_kernel.padded(params.W)
        self.has_bias = params.b is not None
        self.b = params.b.copy() if self.has_bias else np.zeros(0, dtype=params.W.dtype)

    def epoch(self, order: np.ndarray) -> int:
        rows = self.rows
        return compiled_kernel.sgd_epoch(
            self.Wp, self.b, rows.indptr, rows.indices, rows.values, self.Y, order, self.batch_size, self.lr
        )

    def params(self) -> Params:
        return Params(self.Wp[:, : self.k].copy(), self.b.copy() if self.has_bias else None)

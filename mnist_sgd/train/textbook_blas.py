"""The textbook epoch as question 3's timing runs it (:mod:`mnist_sgd.step_timing`): at B = 1
the same update written as two BLAS calls, otherwise :func:`mnist_sgd.train.textbook.sgd_epoch`.

One example at a time, NumPy's array operations allocate the (1, d) minibatch, the scores
and the (d, k) outer product anew for every update, and cost several times more than the
update itself (docs/performance.md). The timing measures the textbook step's cost per update,
not those allocations, so at B = 1 it runs this. No run trains with it; the tests hold the
compiled kernel to :mod:`mnist_sgd.train.textbook` itself.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import blas

from mnist_sgd.train import textbook
from mnist_sgd.train.textbook import Params


def sgd_epoch(params: Params, X: np.ndarray, Y: np.ndarray, order: np.ndarray, batch_size: int, lr: float) -> int:
    """:func:`mnist_sgd.train.textbook.sgd_epoch`, by :func:`sgd_epoch_single` at B = 1."""
    if batch_size == 1:
        return sgd_epoch_single(params, X, Y, order, lr)
    return textbook.sgd_epoch(params, X, Y, order, batch_size, lr)


def sgd_epoch_single(params: Params, X: np.ndarray, Y: np.ndarray, order: np.ndarray, lr: float) -> int:
    """The textbook epoch for B = 1, the same update for one example x_i at a time:

        r = W^T x_i + b - y_i   (k,)       W <- W - lr * x_i r^T       b <- b - lr * r

    written with BLAS gemv and an in-place rank-1 update (ger), because NumPy's
    ``np.outer`` allocates and costs several times more than the update itself.
    """
    W = np.asfortranarray(params.W)  # BLAS updates a Fortran-ordered matrix in place
    b = params.b
    gemv, ger = blas.get_blas_funcs(("gemv", "ger"), (W,))
    neg_lr = -lr
    for i in order.tolist():
        x = X[i]
        r = gemv(1.0, W, x, trans=1)  # W^T x_i
        if b is not None:
            r += b
        r -= Y[i]
        ger(neg_lr, x, r, a=W, overwrite_a=1)  # W += (-lr) x_i r^T, in place
        if b is not None:
            b -= lr * r
    params.W[...] = W  # a no-op when params.W was already Fortran-ordered
    return len(order)

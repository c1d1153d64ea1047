"""The textbook reference: the linear classifier, its squared loss, and minibatch SGD in NumPy.

Written to be read (the report prints :func:`sgd_step` and :func:`sgd_epoch`) and to hold the
compiled kernel that trains the runs (:mod:`mnist_sgd.train.compiled_kernel`) to it in the
tests; no run trains with it.

Model: scores = X W (+ b), W (d, k), b (k,); prediction = argmax of the scores.
Loss on n examples with one-hot targets Y (n, k):

    L(W, b) = 1/(2n) * sum_i || W^T x_i + b - y_i ||^2

Its gradient is  dL/dW = 1/n * X^T (X W + b - Y),  dL/db = 1/n * sum_i (W^T x_i + b - y_i).

One epoch of minibatch SGD walks a permutation of the examples in minibatches of size B
(the last one may be smaller) and after **every** minibatch updates

    W <- W - lr * 1/|batch| * X_b^T (X_b W + b - Y_b),   b <- b - lr * mean of the residuals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_sgd.train.minibatches import minibatches


@dataclass
class Params:
    """Model parameters: ``W`` (d, k), ``b`` (k,) or None when the model has no bias."""

    W: np.ndarray
    b: np.ndarray | None = None

    @classmethod
    def zeros(cls, d: int, k: int, dtype: str = "float32", bias: bool = False) -> Params:
        """Zero initialisation (the default of the assignment and of every backend here)."""
        return cls(np.zeros((d, k), dtype=dtype), np.zeros(k, dtype=dtype) if bias else None)

    def copy(self) -> Params:
        return Params(self.W.copy(), None if self.b is None else self.b.copy())


def scores(params: Params, X: np.ndarray) -> np.ndarray:
    """X (n, d) -> scores (n, k) = X W + b."""
    S = X @ params.W
    if params.b is not None:
        S += params.b
    return S


def loss_of_scores(S: np.ndarray, Y: np.ndarray) -> float:
    """L = 1/(2n) * sum ||s_i - y_i||^2 of scores S (n, k) against targets Y (n, k), in float64."""
    R = S.astype(np.float64) - Y
    return float(np.einsum("ij,ij->", R, R) / (2 * len(S)))


def squared_loss(params: Params, X: np.ndarray, Y: np.ndarray) -> float:
    """L = 1/(2n) * sum ||W^T x_i + b - y_i||^2, accumulated in float64."""
    return loss_of_scores(scores(params, X), Y)


def loss_and_accuracy(params: Params, X: np.ndarray, Y: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(loss, accuracy) on X (n, d), Y (n, k), labels (n,): the dense reference of the evaluation
    kernel :func:`mnist_sgd.train.compiled_kernel.evaluate` that the runs use."""
    with np.errstate(all="ignore"):
        S = scores(params, X)
        return loss_of_scores(S, Y), float(np.mean(S.argmax(axis=1) == labels))


def gradient(params: Params, X: np.ndarray, Y: np.ndarray) -> Params:
    """Gradient of :func:`squared_loss`: dW = X^T R / n (d, k), db = mean of R (k,), R = XW + b - Y."""
    R = scores(params, X) - Y
    return Params(X.T @ R / len(X), R.mean(axis=0) if params.b is not None else None)


def sgd_step(params: Params, Xb: np.ndarray, Yb: np.ndarray, lr: float) -> None:
    """One update on the minibatch (Xb (m, d), Yb (m, k)), in place:
    W <- W - lr/m * Xb^T (Xb W + b - Yb),  b <- b - lr/m * sum of the residual rows."""
    R = scores(params, Xb)
    R -= Yb
    R *= lr / len(Xb)  # scale the small (m, k) residual, not the (d, k) gradient
    params.W -= Xb.T @ R
    if params.b is not None:
        params.b -= R.sum(axis=0)


def sgd_epoch(params: Params, X: np.ndarray, Y: np.ndarray, order: np.ndarray, batch_size: int, lr: float) -> int:
    """One epoch of minibatch SGD over ``order`` (a permutation of the rows of X), in place.

    Args:
        params: updated in place.
        X: (n, d) inputs; Y: (n, k) one-hot targets, same dtype as ``params.W``.
        order: int (n,) visiting order; batch_size: B >= 1; lr: learning rate.

    Returns:
        the number of updates made: ceil(n / B).
    """
    updates = 0
    for batch in minibatches(order, batch_size):
        sgd_step(params, X[batch], Y[batch], lr)
        updates += 1
    return updates

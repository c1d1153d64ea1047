"""The hand-coded NumPy backend: :func:`mnist_sgd.train.sgd.sgd_epoch` on NumPy arrays."""

from __future__ import annotations

import numpy as np

from mnist_sgd.train.sgd import Params, sgd_epoch


class Trainer:
    """Minibatch SGD on X (n, d), one-hot Y (n, k); ``params`` are copied, then updated in place."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: Params, batch_size: int, lr: float) -> None:
        self.X, self.Y, self.batch_size, self.lr = X, Y, batch_size, lr
        self._params = params.copy()

    def epoch(self, order: np.ndarray) -> int:
        return sgd_epoch(self._params, self.X, self.Y, order, self.batch_size, self.lr)

    def params(self) -> Params:
        return self._params

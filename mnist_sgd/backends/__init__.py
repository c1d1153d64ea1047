"""Training backends: each builds a :class:`mnist_sgd.training.Trainer` for one run.

``make_trainer(backend, X, Y, params, batch_size, lr)`` imports the framework only when
it is asked for, so NumPy runs never pay TensorFlow's or PyTorch's start-up time.
"""

from __future__ import annotations

import importlib

import numpy as np

from mnist_sgd.sgd import Params
from mnist_sgd.training import Trainer

BACKENDS = {
    "numpy": "mnist_sgd.backends.numpy_backend",
    "tensorflow": "mnist_sgd.backends.tensorflow_backend",
    "pytorch": "mnist_sgd.backends.pytorch_backend",
}


def make_trainer(backend: str, X: np.ndarray, Y: np.ndarray, params: Params, batch_size: int, lr: float) -> Trainer:
    """A trainer for ``backend`` on inputs X (n, d) and one-hot targets Y (n, k), starting from ``params``."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; expected one of {sorted(BACKENDS)}")
    return importlib.import_module(BACKENDS[backend]).Trainer(X, Y, params, batch_size, lr)

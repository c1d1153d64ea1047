"""Training backends: each builds a :class:`mnist_sgd.train.loop.Trainer` for one run.

``make_trainer(backend, X, Y, params, batch_size, lr)`` imports the framework only when
it is asked for, so NumPy runs never pay TensorFlow's or PyTorch's start-up time.
"""

from __future__ import annotations

import importlib

import numpy as np

from mnist_sgd import grid
from mnist_sgd.train.compiled_kernel import SparseRows
from mnist_sgd.train.loop import Trainer
from mnist_sgd.train.textbook import Params

#: The module of each backend of :data:`mnist_sgd.grid.BACKENDS`.
MODULES = {name: f"mnist_sgd.train.backends.{name}_backend" for name in grid.BACKENDS}


def make_trainer(
    backend: str,
    X: np.ndarray,
    Y: np.ndarray,
    params: Params,
    batch_size: int,
    lr: float,
    seed: int,
    rows: SparseRows | None = None,
) -> Trainer:
    """A trainer for ``backend`` on inputs X (n, d) and one-hot targets Y (n, k), starting from ``params``.

    ``seed`` reaches only the backends that shuffle by themselves (``OWN_SHUFFLING``); the
    others follow the shared per-epoch order the epoch loop hands them. ``rows``: the
    nonzero pixels of X when already built (the evaluation builds them too); only the
    backends that read them (``READS_SPARSE_ROWS``) get them, the others ignore them.
    """
    if backend not in MODULES:
        raise ValueError(f"unknown backend {backend!r}; expected one of {sorted(MODULES)}")
    module = importlib.import_module(MODULES[backend])
    if getattr(module, "OWN_SHUFFLING", False):
        return module.Trainer(X, Y, params, batch_size, lr, seed=seed)
    if getattr(module, "READS_SPARSE_ROWS", False):
        return module.Trainer(X, Y, params, batch_size, lr, rows=rows)
    return module.Trainer(X, Y, params, batch_size, lr)

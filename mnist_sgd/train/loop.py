"""The epoch loop every backend shares (:func:`fit`): shuffles, metrics, timing, divergence.

A backend only implements one epoch of updates (``Trainer.epoch``) and hands back its
parameters (``Trainer.params``); everything measured is measured here, by the same code,
so backends differ in nothing but their arithmetic.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import numpy as np

from mnist_sgd.train import compiled_kernel
from mnist_sgd.train.minibatches import epoch_orders
from mnist_sgd.train.textbook import Params

#: Loss of the zero initialisation against one-hot targets: 1/(2n) * n * 1.
INITIAL_LOSS_ZERO_INIT = 0.5


class Trainer(Protocol):
    """One backend's training state for one run."""

    def epoch(self, order: np.ndarray) -> int:
        """Run one epoch of minibatch SGD visiting the examples in ``order``; return the number of updates."""

    def params(self) -> Params:
        """The current parameters as NumPy arrays."""


@dataclass(frozen=True)
class EvalSet:
    """A set the metrics are computed on: ``X`` (n, d), one-hot ``Y`` (n, k), ``labels`` (n,)."""

    name: str
    X: np.ndarray
    Y: np.ndarray
    labels: np.ndarray

    @cached_property
    def rows(self) -> compiled_kernel.SparseRows:
        """The nonzero pixels of ``X``, built once per set: what :func:`evaluate` reads."""
        return compiled_kernel.sparse_rows(self.X)


def evaluate(params: Params, data: EvalSet) -> tuple[float, float]:
    """(loss, accuracy) of ``params`` on ``data``: the squared loss and the fraction classified right.

    Computed by :func:`mnist_sgd.train.compiled_kernel.evaluate` over the nonzero pixels, for every
    backend alike; :func:`mnist_sgd.train.textbook.loss_and_accuracy` is the dense reference.
    """
    W = params.W
    b = params.b if params.b is not None else np.zeros(0, dtype=W.dtype)
    rows = data.rows
    with np.errstate(all="ignore"):
        loss, accuracy = compiled_kernel.evaluate(
            compiled_kernel.padded(W), b.astype(W.dtype), rows.indptr, rows.indices, rows.values, data.Y, data.labels
        )
    return float(loss), float(accuracy)


@dataclass
class History:
    """Per-epoch metrics (epoch 0 = before training) and how the run ended."""

    rows: list[dict] = field(default_factory=list)
    status: str = "ok"  # "ok" or "diverged"
    diverged_epoch: int | None = None


def is_diverged(loss: float, initial_loss: float, factor: float) -> bool:
    """Non-finite, or more than ``factor`` times the initial loss."""
    return not math.isfinite(loss) or loss > factor * initial_loss


def fit(
    trainer: Trainer,
    n: int,
    eval_sets: list[EvalSet],
    *,
    epochs: int,
    seed: int,
    divergence_factor: float,
    on_epoch: Callable[[dict], None] | None = None,
) -> History:
    """Train for ``epochs`` epochs on ``n`` examples with the seeded shuffles; record metrics.

    ``eval_sets`` must start with the training set (named "train"), whose loss decides
    divergence. Training seconds (the updates only) are kept apart from evaluation seconds.
    """
    history = History()
    updates = 0

    def record(epoch: int, train_seconds: float) -> dict:
        t0 = time.perf_counter()
        row = {"epoch": epoch, "updates": updates}
        params = trainer.params()
        for data in eval_sets:
            row[f"{data.name}_loss"], row[f"{data.name}_accuracy"] = evaluate(params, data)
        row["train_seconds"] = train_seconds
        row["eval_seconds"] = time.perf_counter() - t0
        history.rows.append(row)
        if on_epoch:
            on_epoch(row)
        return row

    initial = record(0, 0.0)["train_loss"]
    for epoch, order in enumerate(epoch_orders(seed, n, epochs), start=1):
        t0 = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            updates += trainer.epoch(order)
        row = record(epoch, time.perf_counter() - t0)
        if is_diverged(row["train_loss"], initial, divergence_factor):
            history.status, history.diverged_epoch = "diverged", epoch
            break
    return history

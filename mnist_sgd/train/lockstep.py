"""Lockstep training: the learning rates of one grid job walk the data together.

A grid job trains K learning rates of one (B, N', seed) on the same training subset and the
same per-epoch orders (they depend on the seed, not on the lr). Here the K NumPy-backend
models sit side by side in one weight matrix (:func:`mnist_sgd.train.compiled_kernel.sgd_epoch_lockstep`):
each example's nonzero pixels are read once per epoch for all of them, and one evaluation
pass per set scores all of them (:func:`~mnist_sgd.train.compiled_kernel.evaluate_lockstep`). Each
model's arithmetic is that of its solo run (:func:`mnist_sgd.train.loop.fit` with the NumPy
trainer) in the same order, so its history and weights equal the solo run's bit for bit
(tests/test_lockstep.py); a model that diverges is stopped at the same epoch as alone and
leaves the pass.

Time: a lockstep epoch trains and evaluates all live models at once, so its seconds are
shared. Each model's ``train_seconds`` of an epoch is that epoch's training wall time
divided by the number of models trained in it, and its ``eval_seconds`` the epoch's
evaluation wall time divided by the number of models evaluated; epoch 0 (evaluation only)
likewise. The runs' seconds thus add up to the job's training and evaluation time, and a
run's total is its fair share of what the job spent, no longer what it would cost alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np

from mnist_sgd.train import compiled_kernel
from mnist_sgd.train.loop import EvalSet, History, is_diverged
from mnist_sgd.train.minibatches import epoch_orders
from mnist_sgd.train.textbook import Params


class Lockstep:
    """K models of one dtype and shape, all from ``params``, trained by minibatch SGD at ``lrs``.

    ``live`` lists the models still trained, as indices into ``lrs``; :meth:`drop` takes one
    out of the pass. ``rows``: ``compiled_kernel.sparse_rows(X)`` if already built.
    """

    def __init__(
        self,
        X: np.ndarray,
        Y: np.ndarray,
        params: Params,
        batch_size: int,
        lrs: Sequence[float],
        rows: compiled_kernel.SparseRows | None = None,
    ) -> None:
        if rows is not None and (len(rows), rows.n_features) != X.shape:
            raise ValueError(f"rows of {len(rows)} x {rows.n_features} given for X of shape {X.shape}")
        self.rows = compiled_kernel.sparse_rows(X) if rows is None else rows
        self.Y = np.ascontiguousarray(Y, dtype=params.W.dtype)
        self.batch_size = batch_size
        self.lrs = [float(lr) for lr in lrs]
        self.d, self.k = params.W.shape
        self.dtype = params.W.dtype
        self.has_bias = params.b is not None
        self.live = list(range(len(self.lrs)))
        self.W, self.b = self._side_by_side([params] * len(self.lrs))

    def _side_by_side(self, params: list[Params]) -> tuple[np.ndarray, np.ndarray]:
        """The (d, width) weights and (width,) biases ((0,) without bias) of the K ``params``,
        model q's class c in column c * K + q, width a multiple of compiled_kernel.LOCKSTEP_ALIGN."""
        align = compiled_kernel.LOCKSTEP_ALIGN
        K = len(params)
        width = -(-K * self.k // align) * align
        W = np.zeros((self.d, width), dtype=self.dtype)
        b = np.zeros(width if self.has_bias else 0, dtype=self.dtype)
        for q, p in enumerate(params):
            W[:, self._columns(q, K)] = p.W
            if self.has_bias:
                b[self._columns(q, K)] = p.b
        return W, b

    def _columns(self, q: int, K: int) -> slice:
        """The columns of model q of K side by side: q, q + K, ..., one per class."""
        return slice(q, q + K * self.k, K)

    def epoch(self, order: np.ndarray) -> int:
        """One epoch of every live model over ``order``; the number of updates of each."""
        rows = self.rows
        lrs = np.array([self.lrs[m] for m in self.live], dtype=np.float64)
        return compiled_kernel.sgd_epoch_lockstep(
            self.W, self.b, rows.indptr, rows.indices, rows.values, self.Y, order, self.batch_size, lrs
        )

    def evaluate(self, data: EvalSet) -> list[tuple[float, float]]:
        """(loss, accuracy) of every live model on ``data``, as :func:`mnist_sgd.train.loop.evaluate`."""
        rows = data.rows
        with np.errstate(all="ignore"):
            losses, accuracies = compiled_kernel.evaluate_lockstep(
                self.W, self.b, len(self.live), rows.indptr, rows.indices, rows.values, data.Y, data.labels
            )
        return [(float(loss), float(accuracy)) for loss, accuracy in zip(losses, accuracies, strict=True)]

    def params(self, model: int) -> Params:
        """The current parameters of live model ``model`` (an index into ``lrs``)."""
        columns = self._columns(self.live.index(model), len(self.live))
        return Params(self.W[:, columns].copy(), self.b[columns].copy() if self.has_bias else None)

    def drop(self, models: Sequence[int]) -> None:
        """Take ``models`` out of the pass (the others' columns close up)."""
        keep = [m for m in self.live if m not in models]
        self.W, self.b = self._side_by_side([self.params(m) for m in keep])
        self.live = keep


def fit_lockstep(
    models: Lockstep,
    n: int,
    eval_sets: list[EvalSet],
    *,
    epochs: int,
    seed: int,
    divergence_factor: float,
    on_epoch: Callable[[int, dict], None] | None = None,
) -> list[tuple[History, Params]]:
    """:func:`mnist_sgd.train.loop.fit` for every model of ``models`` at once: each one's
    history and final parameters, in the order of ``models.lrs``.

    ``on_epoch(model, row)`` is called with each model's row of each epoch as it is recorded.
    """
    K = len(models.lrs)
    histories = [History() for _ in range(K)]
    final: list[Params | None] = [None] * K
    updates = 0

    def record(epoch: int, train_seconds: float) -> list[dict]:
        """Each live model's row of ``epoch``; the shared seconds split evenly between them."""
        t0 = time.perf_counter()
        live = list(models.live)
        rows = [{"epoch": epoch, "updates": updates} for _ in live]
        for data in eval_sets:
            for row, (loss, accuracy) in zip(rows, models.evaluate(data), strict=True):
                row[f"{data.name}_loss"], row[f"{data.name}_accuracy"] = loss, accuracy
        eval_seconds = time.perf_counter() - t0
        for model, row in zip(live, rows, strict=True):
            row["train_seconds"] = train_seconds / len(live)
            row["eval_seconds"] = eval_seconds / len(live)
            histories[model].rows.append(row)
            if on_epoch:
                on_epoch(model, row)
        return rows

    initial = {m: row["train_loss"] for m, row in zip(models.live, record(0, 0.0), strict=True)}
    for epoch, order in enumerate(epoch_orders(seed, n, epochs), start=1):
        if not models.live:
            break
        t0 = time.perf_counter()
        with np.errstate(over="ignore", invalid="ignore"):
            updates += models.epoch(order)
        live = list(models.live)
        rows = record(epoch, time.perf_counter() - t0)
        stopped = [
            m
            for m, row in zip(live, rows, strict=True)
            if is_diverged(row["train_loss"], initial[m], divergence_factor)
        ]
        for m in stopped:
            histories[m].status, histories[m].diverged_epoch = "diverged", epoch
            final[m] = models.params(m)
        if stopped:
            models.drop(stopped)
    for m in models.live:
        final[m] = models.params(m)
    return list(zip(histories, final, strict=True))

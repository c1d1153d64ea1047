"""Questions the report asks of the aggregated tables (:mod:`mnist_sgd.aggregate.tables`).

Figures, tables and comments all select runs through these functions, so "the NumPy runs at
one (B, N') point" means the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mnist_sgd import grid

#: L* below this is reported as zero: the least-squares solution interpolates (N' <= rank).
ZERO_FLOOR = 1e-12


def point_runs(runs: pd.DataFrame, batch: int, n: int, backend: str = grid.NUMPY) -> pd.DataFrame:
    """Rows of the runs table at one (backend, B, N') point: every lr and seed."""
    return runs[(runs.backend == backend) & (runs.batch_size == batch) & (runs.n_train == n)]


def runs_at_lr(runs: pd.DataFrame, batch: int, n: int, lr: float, backend: str = grid.NUMPY) -> pd.DataFrame:
    """The runs (every seed) of one point at one lr."""
    pt = point_runs(runs, batch, n, backend)
    return pt[np.isclose(pt.lr, lr)]


def chosen_lr(tables: dict, batch: int, n: int, backend: str = grid.NUMPY) -> float | None:
    """The lr chosen at (B, N') (None when every lr diverged or the point was not trained)."""
    lc = tables["lr_choice"]
    rows = lc[(lc.backend == backend) & (lc.batch_size == batch) & (lc.n_train == n) & lc.chosen]
    return float(rows.lr.iloc[0]) if len(rows) else None


def diverged_lrs(runs: pd.DataFrame, batch: int, n: int) -> list[float]:
    """The learning rates that diverged at a NumPy point, ascending."""
    pt = point_runs(runs, batch, n)
    return sorted(pt[pt.diverged].lr.unique().tolist())


def tried_lrs(runs: pd.DataFrame, batch: int, n: int) -> list[float]:
    """Every learning rate trained at a NumPy point, ascending."""
    return sorted(point_runs(runs, batch, n).lr.unique().tolist())


def run_epochs(
    tables: dict, backend: str, batch: int, n: int, lr: float | None = None, lr_path: str | None = None
) -> pd.DataFrame:
    """Epoch rows of the runs (all seeds) of one key, by numeric lr or by lr path."""
    e = tables["epochs"]
    sel = (e.backend == backend) & (e.batch_size == batch) & (e.n_train == n)
    if lr is not None:
        sel &= np.isclose(e.lr, lr)
    if lr_path is not None:
        sel &= e.lr_path == lr_path
    return e[sel]


def seed_band(rows: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Mean, min and max of ``y`` over seeds at each ``x`` (only x values every seed reached)."""
    n_seeds = rows.seed.nunique()
    g = rows.groupby(x)[y].agg(["mean", "min", "max", "count"]).reset_index()
    return g[g["count"] == n_seeds]


def floor_of(tables: dict, n: int) -> dict | None:
    """Mean L* and least-squares accuracies of the subsets of size N' (over seeds)."""
    f = tables["floors"]
    rows = f[f.n_train == n]
    if not len(rows):
        return None
    return {k: float(rows[k].mean()) for k in ("floor_loss", "train_accuracy", "test_accuracy", "val_accuracy")}


@dataclass(frozen=True)
class PointResult:
    """Mean over seeds of the NumPy runs at the chosen lr of one (B, N′) point."""

    batch_size: int
    n_train: int
    lr: float | None  # None: every lr diverged
    train_seconds: float = math.nan
    job_seconds: float = math.nan
    job_runs: float = 1  # runs trained by that job (several: a grid job)
    updates: float = math.nan
    train_loss: float = math.nan
    floor_loss: float = math.nan
    train_accuracy: float = math.nan
    val_accuracy: float = math.nan
    test_accuracy: float = math.nan

    @property
    def gap(self) -> float:
        return self.train_loss - self.floor_loss

    @property
    def ok(self) -> bool:
        return self.lr is not None


def point_result(runs: pd.DataFrame, batch: int, n: int) -> PointResult:
    """The chosen-lr result of a NumPy point (``runs`` is the aggregated runs table)."""
    pt = point_runs(runs, batch, n)
    pt = pt[pt.chosen]
    if not len(pt):
        return PointResult(batch, n, None)
    return PointResult(
        batch,
        n,
        float(pt.lr.iloc[0]),
        train_seconds=float(pt.train_seconds.mean()),
        job_seconds=float(pt.job_seconds.mean()),
        job_runs=float(pt.job_runs.mean()) if "job_runs" in pt else 1,
        updates=float(pt.updates.mean()),
        train_loss=float(pt.final_train_loss.mean()),
        floor_loss=float(pt.floor_loss.mean()),
        train_accuracy=float(pt.final_train_accuracy.mean()),
        val_accuracy=float(pt.final_val_accuracy.mean()),
        test_accuracy=float(pt.final_test_accuracy.mean()),
    )


def full_set_curvature(floors: pd.DataFrame, n_full: int) -> dict | None:
    """lambda_max of X^T X / n and the gradient-descent lr bound 2 / lambda_max on the full training set."""
    if "lambda_max" not in floors:
        return None
    rows = floors[(floors.n_train == n_full) & floors.lambda_max.notna()]
    if not len(rows):
        return None
    return {"lambda_max": float(rows.lambda_max.iloc[0]), "gd_lr_bound": float(rows.gd_lr_bound.iloc[0])}

"""What the report asks of its inputs: the aggregated tables (:mod:`mnist_sgd.aggregate.tables`),
the paired tests, the data manifest, the provenance record and the timing of the textbook step.

Sections and figures select runs through these functions, so "the runs of one batch size at
its chosen learning rate" means the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from mnist_sgd import grid
from mnist_sgd.aggregate.paired import find_test
from mnist_sgd.train.lr_choice import best_and_tied

#: L* below this is reported as zero: the least-squares solution interpolates (N' <= rank).
ZERO_FLOOR = 1e-12


@dataclass
class ReportInputs:
    """Everything a section reads. ``tables``: the aggregated tables by name; ``tests``: the
    paired tests (None: no difference is claimed); ``step_timing``: the textbook step timed per
    B (None when not measured)."""

    tables: dict
    config: dict
    manifest: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)
    tests: pd.DataFrame | None = None
    step_timing: pd.DataFrame | None = None

    @property
    def runs(self) -> pd.DataFrame:
        return self.tables["runs"]

    @property
    def n_full(self) -> int:
        return int(self.config["data"]["n_train"])

    @property
    def epochs(self) -> int:
        return int(self.config["training"]["epochs"])

    @property
    def seeds(self) -> list[int]:
        return list(self.config["training"]["seeds"])

    def for_seed(self, seed: int) -> ReportInputs:
        """The same inputs with only ``seed``'s runs, epochs, least-squares floors and spectra
        (the lr choices, paired tests and timings are kept: they are not per seed)."""
        tables = dict(self.tables)
        for name in ("runs", "epochs", "floors", "spectrum"):
            t = tables.get(name)
            if t is not None and "seed" in t:
                tables[name] = t[t.seed == seed]
        config = {**self.config, "training": {**self.config["training"], "seeds": [seed]}}
        return replace(self, tables=tables, config=config)

    def images(self, split: str) -> int:
        """Images in a split (train, val, test), from the manifest when it has them."""
        splits = self.manifest.get("splits", {})
        if split in splits:
            return int(splits[split]["labels"]["shape"][0])
        return {"train": self.n_full, "val": int(self.config["data"]["n_val"]), "test": 10000}[split]


# ---- runs ------------------------------------------------------------------------------


def point_runs(runs: pd.DataFrame, batch: int, n: int, backend: str = grid.NUMPY) -> pd.DataFrame:
    """Rows of the runs table of one (backend, B, N'): every lr and seed."""
    return runs[(runs.backend == backend) & (runs.batch_size == batch) & (runs.n_train == n)]


def runs_at_lr(runs: pd.DataFrame, batch: int, n: int, lr: float, backend: str = grid.NUMPY) -> pd.DataFrame:
    """The runs (every seed) of one (B, N') at one lr."""
    pt = point_runs(runs, batch, n, backend)
    return pt[np.isclose(pt.lr, lr)]


def chosen_lr(tables: dict, batch: int, n: int, backend: str = grid.NUMPY) -> float | None:
    """The lr chosen at (B, N') (None when every lr diverged or nothing was trained there)."""
    lc = tables["lr_choice"]
    rows = lc[(lc.backend == backend) & (lc.batch_size == batch) & (lc.n_train == n) & lc.chosen]
    return float(rows.lr.iloc[0]) if len(rows) else None


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


def mean_curve(tables: dict, batch: int, n: int, lr: float, column: str = "train_loss") -> pd.Series:
    """The seed mean of a per-epoch column of the NumPy runs at (B, N', lr), indexed by epoch."""
    rows = run_epochs(tables, grid.NUMPY, batch, n, lr=lr)
    band = seed_band(rows, "epoch", column)
    return pd.Series(band["mean"].to_numpy(), index=band["epoch"].to_numpy())


def criterion_by_seed(tables: dict, search: dict, batch: int, n: int, lr: float) -> list[float]:
    """The lr-choice criterion (config ``lr_search``: its column averaged over the last
    ``last_epochs`` epochs) of each seed's NumPy run at (B, N', lr), in seed order."""
    rows = run_epochs(tables, grid.NUMPY, batch, n, lr=lr)
    rows = rows[rows.epoch > 0].sort_values(["seed", "epoch"])
    last = rows.groupby("seed").tail(int(search["last_epochs"]))
    return last.groupby("seed")[search["criterion"]].mean().tolist()


# ---- least squares -----------------------------------------------------------------------


def floor_of(tables: dict, n: int) -> dict | None:
    """Mean over seeds of L*, the least-squares solution's metrics and the curvature of the
    subsets of size N' (None when no floor was computed)."""
    f = tables["floors"]
    rows = f[f.n_train == n]
    if not len(rows):
        return None
    keys = [c for c in rows.columns if c not in ("n_train", "seed", "bias")]
    out = {k: float(pd.to_numeric(rows[k], errors="coerce").mean()) for k in keys}
    out["rank"] = round(float(rows["rank"].mean()))  # as the figure marks it
    out["seeds"] = int(len(rows))
    return out


def floor_accuracies(tables: dict, n: int, split: str = "test") -> list[float]:
    """The least-squares solution's accuracy on ``split`` for each seed's subset of size N'."""
    f = tables["floors"]
    return pd.to_numeric(f[f.n_train == n].sort_values("seed")[f"{split}_accuracy"], errors="coerce").tolist()


def full_set_curvature(floors: pd.DataFrame, n_full: int) -> dict | None:
    """lambda_max of X^T X / n and the gradient-descent lr bound 2 / lambda_max on the full training set."""
    if "lambda_max" not in floors:
        return None
    rows = floors[(floors.n_train == n_full) & floors.lambda_max.notna()]
    if not len(rows):
        return None
    return {"lambda_max": float(rows.lambda_max.iloc[0]), "gd_lr_bound": float(rows.gd_lr_bound.iloc[0])}


def spectrum(tables: dict, n: int) -> np.ndarray:
    """Eigenvalues of X^T X / n of the first subset of size N' (descending; empty if not recorded)."""
    s = tables.get("spectrum")
    if s is None or not len(s):
        return np.array([])
    rows = s[s.n_train == n]
    if not len(rows):
        return np.array([])
    rows = rows[rows.seed == rows.seed.min()]
    return rows.sort_values("index").eigenvalue.to_numpy(float)


# ---- the chosen learning rate ------------------------------------------------------------


@dataclass(frozen=True)
class PointResult:
    """Mean over seeds of the NumPy runs at the chosen lr of one (B, N')."""

    batch_size: int
    n_train: int
    lr: float | None  # None: every lr diverged
    train_seconds: float = math.nan
    job_seconds: float = math.nan
    job_runs: float = 1  # runs trained by that job (several: one job trained the lr grid)
    updates: float = math.nan
    train_loss: float = math.nan
    floor_loss: float = math.nan
    train_accuracy: float = math.nan
    val_accuracy: float = math.nan
    test_accuracy: float = math.nan
    seeds: int = 0

    @property
    def gap(self) -> float:
        return self.train_loss - self.floor_loss

    @property
    def ok(self) -> bool:
        return self.lr is not None

    @property
    def step(self) -> float:
        """lr/B: the step each example contributes to an update."""
        return math.nan if self.lr is None else self.lr / self.batch_size


def chosen_runs(runs: pd.DataFrame, batch: int, n: int, backend: str = grid.NUMPY) -> pd.DataFrame:
    """The runs (every seed) of one (B, N') at its chosen lr."""
    pt = point_runs(runs, batch, n, backend)
    return pt[pt.chosen.astype(bool)]


def stable_range(runs: pd.DataFrame, batch: int, n: int) -> tuple[float, float]:
    """(largest lr that trained, smallest lr that diverged) at a NumPy (B, N'); NaN for none."""
    pt = point_runs(runs, batch, n)
    diverged = pt.diverged.astype(bool)
    good, bad = pt[~diverged].lr, pt[diverged].lr
    return (float(good.max()) if len(good) else math.nan, float(bad.min()) if len(bad) else math.nan)


def point_result(runs: pd.DataFrame, batch: int, n: int) -> PointResult:
    """The chosen-lr result of a NumPy (B, N') (``runs`` is the aggregated runs table)."""
    pt = chosen_runs(runs, batch, n)
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
        seeds=int(len(pt)),
    )


@dataclass(frozen=True)
class LrChoice:
    """How the lr of one (B, N') was chosen: every candidate's criterion value, the best one,
    the candidates tied with it and the chosen one (None when every lr diverged)."""

    candidates: pd.DataFrame  # rows of the lr_choice table, by lr
    best: float | None
    tied: list[float]
    chosen: float | None

    @property
    def tie_decided(self) -> bool:
        """The tie rule, not the criterion's best value, picked the lr."""
        return self.chosen is not None and not math.isclose(self.chosen, self.best)

    @property
    def trained(self) -> pd.Series:
        """The lrs tried that did not diverge."""
        return self.candidates[~self.candidates.diverged.astype(bool)].lr

    def neighbours(self, lr: float) -> tuple[float | None, float | None]:
        """The nearest lr that trained below ``lr`` and above it (None where there is none)."""
        below, above = self.trained[self.trained < lr * (1 - 1e-9)], self.trained[self.trained > lr * (1 + 1e-9)]
        return (float(below.max()) if len(below) else None, float(above.min()) if len(above) else None)

    def inside(self, lr: float | None) -> bool:
        """``lr`` has a tried lr that trained on each side."""
        return lr is not None and None not in self.neighbours(lr)


def lr_choice(tables: dict, criterion: str, batch: int, n: int, backend: str = grid.NUMPY) -> LrChoice:
    """The lr choice of (B, N'), with the tie rule of :func:`mnist_sgd.train.lr_choice.best_and_tied`."""
    lc = tables["lr_choice"]
    rows = lc[(lc.backend == backend) & (lc.batch_size == batch) & (lc.n_train == n)].sort_values("lr")
    cands = [
        {
            "lr": float(r.lr),
            "diverged": bool(r.diverged),
            "score": float(r.score) if "score" in rows else math.nan,
            "se": float(r.se) if "se" in rows else math.nan,
            "mean_val_loss": float(r.mean_val_loss),
        }
        for r in rows.itertuples()
    ]
    best, tied = best_and_tied(cands, criterion)
    chosen = rows[rows.chosen.astype(bool)]
    return LrChoice(
        rows,
        None if best is None else best["lr"],
        [c["lr"] for c in tied],
        float(chosen.lr.iloc[0]) if len(chosen) else None,
    )


# ---- paired tests ------------------------------------------------------------------------


def paired(tests: pd.DataFrame | None, kind: str, a: dict, b: dict):
    """The paired-test row comparing side ``a`` with side ``b`` (either order), or None."""
    return find_test(tests, kind, a, b)


def holm(p_values: list[float], alpha: float = 0.05) -> list[bool]:
    """Holm's step-down procedure: which of the p-values reject at family-wise level ``alpha``."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    reject = [False] * len(p_values)
    for rank, i in enumerate(order):
        if not p_values[i] <= alpha / (len(p_values) - rank):
            break
        reject[i] = True
    return reject

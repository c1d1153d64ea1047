"""Measured evidence for the report's explanations: each function computes the numbers behind one
claim and returns them, or None when the data cannot support the claim at all.

The comment modules (:mod:`mnist_sgd.report.commentary`, :mod:`mnist_sgd.report.subset_commentary`)
turn these into sentences and state the usual explanation only when these numbers agree with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mnist_sgd import grid
from mnist_sgd.report.formats import fmt_acc, fmt_p, join_words
from mnist_sgd.aggregate.paired import accuracy, find_test
from mnist_sgd.report.queries import PointResult, point_runs, run_epochs
from mnist_sgd.stats import ALPHA

# ---- cost per update ----------------------------------------------------------------


@dataclass(frozen=True)
class UpdateCost:
    """Measured cost of one SGD update per B (seconds), and a fit ``per_update = overhead + per_example * B``."""

    batch_sizes: list[int]
    per_update: list[float]  # s per update
    per_example: list[float]  # s per training example
    overhead: float  # fitted fixed cost per update (s)
    slope: float  # fitted cost per example (s)


def update_cost(results: list[PointResult]) -> UpdateCost | None:
    """Per-update and per-example training time of the chosen-lr runs (None with fewer than 2 B)."""
    ok = sorted((r for r in results if r.ok and r.updates > 0), key=lambda r: r.batch_size)
    if len(ok) < 2:
        return None
    b = np.array([r.batch_size for r in ok], float)
    t = np.array([r.train_seconds / r.updates for r in ok])
    slope, overhead = np.polyfit(b, t, 1)
    return UpdateCost([r.batch_size for r in ok], t.tolist(), (t / b).tolist(), float(overhead), float(slope))


# ---- how far above L* and whether the curve has flattened ------------------------------


def still_falling(tables: dict, r: PointResult, tail: float = 0.1) -> float:
    """How much the run was still converging at the end, from its mean training loss per epoch:
    the fraction of the final gap L − L* closed by the last ``tail`` of the epochs, or 1 when the
    loss fell at (nearly) every one of those epochs (a slow but steady descent, not a noise floor).

    Near 0: the loss has stopped falling and fluctuates at its noise floor; large: the run is
    still converging, so its gap is unfinished optimisation rather than noise.
    """
    rows = run_epochs(tables, grid.NUMPY, r.batch_size, r.n_train, lr=r.lr)
    if not len(rows) or not math.isfinite(r.gap) or r.gap <= 0:
        return math.nan
    mean = rows.groupby("epoch").train_loss.mean()
    last = int(mean.index.max())
    back = max(1, round(tail * last))
    if last - back < 1:
        return math.nan
    window = mean.loc[last - back : last].to_numpy()
    if back >= 3 and np.mean(np.diff(window) < 0) >= 0.8:
        return 1.0
    return float((mean.loc[last - back] - mean.loc[last]) / r.gap)


def is_monotone(values: list[float], increasing: bool = True) -> bool:
    pairs = list(zip(values, values[1:]))
    return all(b > a for a, b in pairs) if increasing else all(b < a for a, b in pairs)


# ---- stability ------------------------------------------------------------------------


@dataclass(frozen=True)
class Stability:
    batch_size: int
    largest_stable: float | None  # largest lr tried that did not diverge
    smallest_diverged: float | None  # smallest lr tried that diverged


def stability(runs: pd.DataFrame, batch_sizes: list[int], n: int) -> list[Stability]:
    out = []
    for b in sorted(batch_sizes):
        pt = point_runs(runs, b, n)
        div = pt.groupby("lr").diverged.any()
        stable, diverged = div[~div].index, div[div].index
        out.append(
            Stability(
                b,
                float(stable.max()) if len(stable) else None,
                float(diverged.min()) if len(diverged) else None,
            )
        )
    return out


# ---- epochs and updates to reach a loss ------------------------------------------------


def reach_target(tables: dict, results: list[PointResult], target: float) -> dict[int, tuple[int, float]]:
    """For each B: (first epoch whose mean training loss is <= ``target``, updates made by then)."""
    out = {}
    for r in results:
        rows = run_epochs(tables, grid.NUMPY, r.batch_size, r.n_train, lr=r.lr)
        mean = rows.groupby("epoch")[["train_loss", "updates"]].mean()
        hit = mean[mean.train_loss <= target]
        if len(hit):
            out[r.batch_size] = (int(hit.index.min()), float(hit.updates.iloc[0]))
    return out


# ---- comparisons of accuracies ----------------------------------------------------------


def compare_phrase(tests: pd.DataFrame | None, kind: str, a: dict, b: dict, name_a: str, name_b: str) -> str | None:
    """'B = 1 (82.64 %) is below B = 10 (85.90 %; McNemar p < 0.001)' or '... are indistinguishable at
    this sample size (p = 0.38)'; None when no paired test was made."""
    row = find_test(tests, kind, a, b)
    if row is None:
        return None
    acc_a, acc_b = accuracy(row, "a"), accuracy(row, "b")
    p = float(row.p_exact)
    seeds = f", {int(row.seeds)} seeds pooled" if row.seeds > 1 else ""
    evidence = f"McNemar {fmt_p(p)} on {int(row.only_a) + int(row.only_b):,} discordant images{seeds}"
    if p < ALPHA:
        word = "above" if acc_a > acc_b else "below"
        return f"{name_a} ({fmt_acc(acc_a)}) is {word} {name_b} ({fmt_acc(acc_b)}; {evidence})"
    return (
        f"{name_a} ({fmt_acc(acc_a)}) and {name_b} ({fmt_acc(acc_b)}) are indistinguishable at this sample size "
        f"({evidence})"
    )


def indistinguishable_groups(
    tests: pd.DataFrame | None, kind: str, sides: list[tuple[dict, str]]
) -> tuple[list[list[str]], list[tuple[str, str, str]]] | None:
    """Split the sides into groups of mutually indistinguishable results (by the paired test) and the
    pairs that differ: ([[names], ...], [(better, worse, p text), ...]). None when a test is missing."""
    different = []
    linked = {name: {name} for _, name in sides}
    for i, (a, na) in enumerate(sides):
        for b, nb in sides[i + 1 :]:
            row = find_test(tests, kind, a, b)
            if row is None:
                return None
            if float(row.p_exact) < ALPHA:
                better, worse = (na, nb) if accuracy(row, "a") > accuracy(row, "b") else (nb, na)
                different.append((better, worse, fmt_p(float(row.p_exact))))
            else:
                linked[na].add(nb)
                linked[nb].add(na)
    groups: list[list[str]] = []  # cliques: every pair inside a group is indistinguishable
    for _, name in sides:
        home = next((g for g in groups if all(m in linked[name] for m in g)), None)
        if home is None:
            groups.append([name])
        else:
            home.append(name)
    order = [name for _, name in sides]
    return [sorted(g, key=order.index) for g in groups], different


def groups_sentence(groups: list[list[str]]) -> str | None:
    """'B = 10, 100 and 1000 are indistinguishable from each other at this sample size' (groups of 2+)."""
    parts = [join_words(g) for g in groups if len(g) > 1]
    if not parts:
        return None
    return "; ".join(parts) + (" are" if len(parts) == 1 else " are each") + " indistinguishable at this sample size"

"""Choosing the learning rate of a grid point on the validation set (never the test set), and
searching until the choice is bracketed.

**Criterion.** Each candidate lr is scored by the validation accuracy averaged over the last
``last_epochs`` recorded epochs of each seed's run, then over seeds (``val_accuracy``), or
by the validation loss averaged the same way (``val_loss``, lower is better). Diverged runs
are excluded. Candidates whose score is within one standard error of the best one are
**tied**: their differences are noise at this sample size. Among tied candidates the lowest
mean final validation loss wins (the loss is a smoother statistic than the accuracy), then
the smaller lr. The standard error of an accuracy p measured on n validation images is
sqrt(p (1 - p) / n) (the images are the same for every seed, so seeds do not shrink it);
for the loss criterion it is the standard deviation over seeds divided by sqrt(#seeds)
(zero with one seed: ties are then exact ties).

**Search.** The configured grid is round 0. After each round, while the chosen lr is the
smallest one tried, the next smaller lr on the search ratio is tried; while it is the largest
one that did not diverge, a value between it and the smallest diverged lr above it is tried
(the geometric mean), or the next larger lr on the ratio when nothing above it diverged.
New values are rounded to one significant digit (two when one would not give a new value
strictly between the neighbours). The search stops when the chosen lr has a
tried neighbour on both sides, below and a non-diverged one above (*bracketed*), or after
``max_rounds`` extra rounds (*budget exhausted*).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from mnist_sgd import grid

CRITERIA = ("val_accuracy", "val_loss")


@dataclass(frozen=True)
class SearchSettings:
    """The ``lr_search`` section of the config."""

    criterion: str = "val_accuracy"
    last_epochs: int = 10
    max_rounds: int = 3
    ratio: float = math.sqrt(10)
    n_val: int = 10_000

    @classmethod
    def from_config(cls, lr_search: dict, n_val: int) -> SearchSettings:
        """From the config's ``lr_search`` section and ``data.n_val``."""
        s = lr_search
        return cls(s["criterion"], s["last_epochs"], s["max_rounds"], s["ratio"], n_val)

    def describe(self, epochs: int, n_seeds: int) -> str:
        """The selection rule in words, as written into every lr-choice file and the report, for
        runs of ``epochs`` epochs and ``n_seeds`` seeds."""
        what = "validation accuracy" if self.criterion == "val_accuracy" else "validation loss (lower is better)"
        last = min(self.last_epochs, epochs)
        over = "the last epoch" if last == 1 else f"the last {last} epochs"
        if n_seeds > 1:
            over += " and over the seeds"
        return (
            f"{what} averaged over {over}; candidates within one standard error of the best are tied, "
            "and among them the lowest final validation loss wins, then the smaller lr; diverged runs are excluded"
        )


@dataclass(frozen=True)
class RunRecord:
    """What the choice needs of one run: its summary and its per-epoch history rows."""

    summary: dict
    history: list[dict]


def _score(run: RunRecord, settings: SearchSettings) -> float:
    rows = [r for r in run.history if r["epoch"] > 0][-settings.last_epochs :] or run.history[-1:]
    return float(np.mean([r[settings.criterion] for r in rows]))


def score_candidates(runs: list[RunRecord], settings: SearchSettings) -> list[dict]:
    """One entry per lr (sorted): seeds, diverged flag, and for the others the criterion's mean
    ``score``, its standard error ``se``, mean final validation accuracy and loss."""
    by_lr: dict[float, list[RunRecord]] = defaultdict(list)
    for run in runs:
        by_lr[float(run.summary["lr"])].append(run)
    candidates = []
    for lr, group in sorted(by_lr.items()):
        diverged = any(r.summary["status"] == "diverged" for r in group)
        candidate: dict = {"lr": lr, "seeds": sorted(r.summary["seed"] for r in group), "diverged": diverged}
        if not diverged:
            scores = [_score(r, settings) for r in group]
            score = float(np.mean(scores))
            if settings.criterion == "val_accuracy":
                se = math.sqrt(max(score * (1 - score), 0.0) / settings.n_val)
            else:
                se = float(np.std(scores, ddof=1) / math.sqrt(len(scores))) if len(scores) > 1 else 0.0
            candidate |= {
                "score": score,
                "se": se,
                "mean_val_accuracy": float(np.mean([float(r.summary["final_val_accuracy"]) for r in group])),
                "mean_val_loss": float(np.mean([float(r.summary["final_val_loss"]) for r in group])),
            }
        candidates.append(candidate)
    return candidates


def best_and_tied(candidates: list[dict], criterion: str) -> tuple[dict | None, list[dict]]:
    """The candidate with the best score and every candidate tied with it (within one standard
    error of the best, the best included); (None, []) when every lr diverged."""
    eligible = [c for c in candidates if not c["diverged"] and math.isfinite(c["score"])]
    if not eligible:
        return None, []
    sign = 1.0 if criterion == "val_accuracy" else -1.0  # higher accuracy / lower loss is better
    best = max(eligible, key=lambda c: sign * c["score"])
    return best, [c for c in eligible if sign * (best["score"] - c["score"]) <= best["se"]]


def pick(candidates: list[dict], criterion: str) -> dict | None:
    """The chosen candidate (see the module docstring), or None when every lr diverged."""
    best, tied = best_and_tied(candidates, criterion)
    return None if best is None else min(tied, key=lambda c: (c["mean_val_loss"], c["lr"]))


def round_lr(x: float, low: float = 0.0, high: float = math.inf, tried: frozenset = frozenset()) -> float | None:
    """``x`` rounded to one significant digit (0.00031623 -> 0.0003), or to two when that is
    not strictly between ``low`` and ``high`` or was tried already; None when neither is."""
    for digits in (1, 2):
        value = float(f"{x:.{digits}g}")
        if low < value < high and value not in tried:
            return value
    return None


def bracket(candidates: list[dict], chosen: float | None) -> dict:
    """The tried lrs next to the chosen one: the largest below, the smallest non-diverged above,
    and the smallest diverged above; ``closed`` when both neighbours exist."""
    if chosen is None:
        return {"below": None, "above": None, "diverged_above": None, "closed": False}
    below = [c["lr"] for c in candidates if c["lr"] < chosen]
    above = [c["lr"] for c in candidates if c["lr"] > chosen and not c["diverged"]]
    diverged = [c["lr"] for c in candidates if c["lr"] > chosen and c["diverged"]]
    out = {
        "below": max(below, default=None),
        "above": min(above, default=None),
        "diverged_above": min(diverged, default=None),
    }
    return out | {"closed": out["below"] is not None and out["above"] is not None}


def next_lrs(candidates: list[dict], chosen: float | None, ratio: float) -> list[float]:
    """The lrs the next round tries (empty when the choice is bracketed or every lr diverged)."""
    if chosen is None:
        return []
    b = bracket(candidates, chosen)
    tried = frozenset(c["lr"] for c in candidates)
    new = []
    if b["below"] is None:
        new.append(round_lr(chosen / ratio, high=chosen, tried=tried))
    if b["above"] is None:
        limit = b["diverged_above"]
        if limit is None:
            new.append(round_lr(chosen * ratio, low=chosen, tried=tried))
        else:
            new.append(round_lr(math.sqrt(chosen * limit), low=chosen, high=limit, tried=tried))
    return sorted({x for x in new if x is not None})


def rounds_so_far(previous: dict | None, grid_lrs: list[float]) -> dict[str, int]:
    """The round in which each lr tried so far was first tried ({lr text: round}): the grid's
    in round 0, then those proposed by each earlier round (``previous`` is the last round's result)."""
    if previous is None:
        return {grid.format_lr(lr): 0 for lr in grid_lrs}
    return previous["rounds_of_lrs"] | {grid.format_lr(lr): previous["round"] + 1 for lr in previous["next_lrs"]}


def search_round(
    runs: list[RunRecord], settings: SearchSettings, round_index: int, rounds_of_lrs: dict[str, int]
) -> dict:
    """Score the runs tried so far at one point and say what the next round tries.

    Returns:
        {"round", "tried" (lrs), "chosen_lr", "all_diverged", "bracket", "next_lrs" (empty in
        the last allowed round), "budget_exhausted", "rounds_of_lrs", "candidates" (each with the
        round it was first tried in)}.
    """
    candidates = score_candidates(runs, settings)
    best = pick(candidates, settings.criterion)
    chosen = None if best is None else best["lr"]
    for c in candidates:
        c["chosen"] = c["lr"] == chosen
        c["round"] = rounds_of_lrs.get(grid.format_lr(c["lr"]), 0)
    wanted = next_lrs(candidates, chosen, settings.ratio)
    last = round_index >= settings.max_rounds
    return {
        "round": round_index,
        "tried": [c["lr"] for c in candidates],
        "chosen_lr": chosen,
        "all_diverged": chosen is None,
        "bracket": bracket(candidates, chosen),
        "next_lrs": [] if last else wanted,
        "budget_exhausted": last and bool(wanted),
        "rounds_of_lrs": rounds_of_lrs,
        "candidates": candidates,
    }


def lr_choice_record(
    backend: str, batch_size: int, n_train: int, final_round: dict, settings: SearchSettings, epochs: int, n_seeds: int
) -> dict:
    """The lr-choice file of one point: its key, the rule in words, and the final round's outcome."""
    return {
        "backend": backend,
        "batch_size": batch_size,
        "n_train": n_train,
        "criterion": settings.describe(epochs, n_seeds),
        "chosen_lr": final_round["chosen_lr"],
        "all_diverged": final_round["all_diverged"],
        "bracket": final_round["bracket"],
        "rounds": final_round["round"],
        "budget_exhausted": final_round["budget_exhausted"],
        "candidates": final_round["candidates"],
    }

"""Choosing the learning rate of a grid point on the validation set (never the test set).

Among the runs that did not diverge, the lr with the best final validation accuracy
(averaged over seeds) wins; ties go to the lower mean validation loss, then the smaller lr.
"""

from __future__ import annotations

import math
from collections import defaultdict

#: The selection rule, as written into every lr-choice file and the report.
CRITERION = "best mean final validation accuracy; ties: lower validation loss, then smaller lr; diverged runs excluded"


def choose_lr(summaries: list[dict]) -> dict:
    """Pick one lr from the run summaries of one (backend, B, N') point.

    Args:
        summaries: run summaries (see :func:`mnist_sgd.train.run.run_summary`): keys ``lr``, ``seed``,
            ``status``, ``final_val_accuracy``, ``final_val_loss``.

    Returns:
        {"chosen_lr": lr or None when every lr diverged, "all_diverged": bool,
         "candidates": one entry per lr with its mean metrics, seeds and status, sorted by lr}.
    """
    by_lr: dict[float, list[dict]] = defaultdict(list)
    for s in summaries:
        by_lr[float(s["lr"])].append(s)
    candidates = []
    for lr, runs in sorted(by_lr.items()):
        diverged = any(r["status"] == "diverged" for r in runs)
        candidate = {"lr": lr, "seeds": sorted(r["seed"] for r in runs), "diverged": diverged}
        if not diverged:
            candidate["mean_val_accuracy"] = sum(float(r["final_val_accuracy"]) for r in runs) / len(runs)
            candidate["mean_val_loss"] = sum(float(r["final_val_loss"]) for r in runs) / len(runs)
        candidates.append(candidate)
    eligible = [c for c in candidates if not c["diverged"] and math.isfinite(c["mean_val_loss"])]
    best = min(eligible, key=lambda c: (-c["mean_val_accuracy"], c["mean_val_loss"], c["lr"]), default=None)
    for c in candidates:
        c["chosen"] = best is not None and c["lr"] == best["lr"]
    return {"chosen_lr": None if best is None else best["lr"], "all_diverged": best is None, "candidates": candidates}


def lr_choice_record(backend: str, batch_size: int, n_train: int, summaries: list[dict]) -> dict:
    """The lr-choice file of one point: its key, :data:`CRITERION` and :func:`choose_lr`."""
    return {
        "backend": backend,
        "batch_size": batch_size,
        "n_train": n_train,
        "criterion": CRITERION,
        **choose_lr(summaries),
    }

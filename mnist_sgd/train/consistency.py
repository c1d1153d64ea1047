"""Do two backends trained on the same minibatches agree? Quantitatively, per epoch.

The comparison is between histories (see :mod:`mnist_sgd.train.run_files`) of the same run
key (B, N', lr, seed) trained by two backends, and their final weights.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from mnist_sgd import grid
from mnist_sgd.train.run_files import read_history, read_summary, read_weights


def _max_abs(a: np.ndarray, b: np.ndarray) -> float:
    with np.errstate(invalid="ignore"):
        d = np.abs(a - b)
    return float(np.nanmax(d)) if np.isfinite(d).any() else math.inf


def compare_runs(
    reference: list[dict],
    other: list[dict],
    weights_ref: dict[str, np.ndarray],
    weights_other: dict[str, np.ndarray],
    tolerances: dict,
) -> dict:
    """Differences between ``other`` and ``reference`` (per-epoch history rows and final weights).

    Args:
        reference, other: history rows (dicts with epoch, train_loss, train_accuracy, test_accuracy...).
        weights_ref, weights_other: {"W": (d, k), optional "b": (k,)}.
        tolerances: {"loss_rtol", "weights_atol", "accuracy_atol"}.

    Returns:
        the measured maxima over epochs, the per-epoch relative loss difference, the verdict
        ("pass"/"fail") and the reasons for a failure.
    """
    reasons = []
    if len(reference) != len(other):
        reasons.append(
            f"different number of recorded epochs: {len(reference)} vs {len(other)} "
            "(one run diverged or stopped earlier)"
        )
    m = min(len(reference), len(other))
    col = lambda rows, key: np.array([float(r[key]) for r in rows[:m]])  # noqa: E731
    loss_ref, loss_other = col(reference, "train_loss"), col(other, "train_loss")
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(loss_other - loss_ref) / np.abs(loss_ref)
    result = {
        "epochs_compared": m,
        "max_abs_train_loss_diff": _max_abs(loss_ref, loss_other),
        "max_rel_train_loss_diff": float(np.nanmax(rel)) if np.isfinite(rel).any() else math.inf,
        "rel_train_loss_diff_per_epoch": [float(x) for x in rel],
        "final_rel_train_loss_diff": float(rel[-1]),
    }
    for split in ("train", "val", "test"):
        result[f"max_abs_{split}_accuracy_diff"] = _max_abs(
            col(reference, f"{split}_accuracy"), col(other, f"{split}_accuracy")
        )
    w_diff = max(_max_abs(weights_ref[k], weights_other[k]) for k in weights_ref)
    if set(weights_ref) != set(weights_other):
        reasons.append(f"different parameters: {sorted(weights_ref)} vs {sorted(weights_other)}")
    result["max_abs_weight_diff"] = w_diff
    scale = float(np.max(np.abs(weights_ref["W"])))
    result["max_rel_weight_diff"] = w_diff / scale if scale > 0 else w_diff
    finite = math.isfinite(result["max_rel_train_loss_diff"])
    if not finite or result["max_rel_train_loss_diff"] > tolerances["loss_rtol"]:
        reasons.append(
            f"training loss differs by {result['max_rel_train_loss_diff']:.3g} relative "
            f"(tolerance {tolerances['loss_rtol']:g})"
        )
    if not math.isfinite(w_diff) or w_diff > tolerances["weights_atol"]:
        reasons.append(f"final weights differ by {w_diff:.3g} (tolerance {tolerances['weights_atol']:g})")
    acc = max(result[f"max_abs_{s}_accuracy_diff"] for s in ("train", "val", "test"))
    if not math.isfinite(acc) or acc > tolerances["accuracy_atol"]:
        reasons.append(f"accuracy differs by {acc:.3g} (tolerance {tolerances['accuracy_atol']:g})")
    result["tolerances"] = dict(tolerances)
    result["verdict"] = "fail" if reasons else "pass"
    result["reasons"] = reasons
    return result


def compare_with_reference(
    run: dict[str, Path], references: list[dict[str, Path]], tolerances: dict, dtype: str
) -> dict:
    """Compare a framework run with the NumPy run of the same lr among ``references``.

    Args:
        run, references: {"history": .csv, "summary": .json, "weights": .npz} of the framework
            run and of NumPy's runs at its point (one per lr when the run followed NumPy's choice).
        tolerances: {"loss_rtol", "weights_atol", "accuracy_atol"}; dtype: the runs' dtype.
    """
    summary = read_summary(run["summary"])
    by_lr = {read_summary(r["summary"])["lr"]: r for r in references}
    if summary["lr"] not in by_lr:
        raise ValueError(f"no NumPy run with lr = {summary['lr']} among the references {sorted(by_lr)}")
    ref = by_lr[summary["lr"]]
    result = {"backend": summary["backend"], "reference": grid.NUMPY}
    result |= {key: summary[key] for key in ("batch_size", "n_train", "lr", "lr_path", "seed")} | {"dtype": dtype}
    return result | compare_runs(
        read_history(ref["history"]),
        read_history(run["history"]),
        read_weights(ref["weights"]),
        read_weights(run["weights"]),
        tolerances,
    )

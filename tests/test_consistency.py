"""The backend comparison: a pass on agreeing runs, a failure with reasons on differing ones."""

import math

import numpy as np

from mnist_sgd.train.consistency import compare_runs

TOL = {"loss_rtol": 1e-8, "weights_atol": 1e-8, "accuracy_atol": 1e-4}


def history(losses, accuracies=None):
    accuracies = accuracies or [0.1 + 0.1 * i for i in range(len(losses))]
    return [
        {"epoch": i, "train_loss": loss, "train_accuracy": a, "val_accuracy": a, "test_accuracy": a}
        for i, (loss, a) in enumerate(zip(losses, accuracies))
    ]


W = {"W": np.arange(20.0).reshape(10, 2)}


def test_identical_runs_pass_with_zero_differences():
    h = history([0.5, 0.3, 0.25])
    result = compare_runs(h, [dict(r) for r in h], W, {"W": W["W"].copy()}, TOL)
    assert result["verdict"] == "pass" and result["reasons"] == []
    assert result["max_rel_train_loss_diff"] == 0.0 and result["max_abs_weight_diff"] == 0.0
    assert result["epochs_compared"] == 3


def test_differing_histories_fail_with_measured_differences():
    reference = history([0.5, 0.3, 0.25])
    other = history([0.5, 0.3, 0.25 * (1 + 1e-6)], [0.1, 0.2, 0.3 + 0.01])  # built by hand: loss and accuracy off
    weights = {"W": W["W"] + 1e-6}
    result = compare_runs(reference, other, W, weights, TOL)
    assert result["verdict"] == "fail"
    assert math.isclose(result["max_rel_train_loss_diff"], 1e-6, rel_tol=1e-6)
    assert result["rel_train_loss_diff_per_epoch"][:2] == [0.0, 0.0]
    assert math.isclose(result["max_abs_weight_diff"], 1e-6, rel_tol=1e-6)
    assert math.isclose(result["max_abs_test_accuracy_diff"], 0.01, rel_tol=1e-9)
    text = " ".join(result["reasons"])
    assert "training loss differs by 1e-06 relative (tolerance 1e-08)" in text
    assert "final weights differ by 1e-06" in text and "accuracy differs by 0.01" in text


def test_one_run_diverging_earlier_fails():
    result = compare_runs(history([0.5, 0.3, 0.25]), history([0.5, float("nan")]), W, {"W": W["W"] * np.nan}, TOL)
    assert result["verdict"] == "fail"
    assert any("different number of recorded epochs: 3 vs 2" in r for r in result["reasons"])

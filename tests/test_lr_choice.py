"""The lr choice (criterion, statistical ties) and the search that brackets it, on hand-built runs."""

import math

import pytest

from conftest import REPO_ROOT
from mnist_sgd.train.lr_choice import (
    RunRecord,
    SearchSettings,
    bracket,
    next_lrs,
    pick,
    round_lr,
    rounds_so_far,
    score_candidates,
    search_round,
)


def run(lr, val_accuracies, *, val_loss=0.3, seed=0, status="ok"):
    """A run whose history has the given validation accuracy per epoch (epoch 0 first)."""
    history = [
        {"epoch": e, "val_accuracy": a, "val_loss": val_loss + 0.01 * (len(val_accuracies) - 1 - e)}
        for e, a in enumerate(val_accuracies)
    ]
    summary = {
        "lr": lr,
        "seed": seed,
        "status": status,
        "final_val_accuracy": val_accuracies[-1],
        "final_val_loss": history[-1]["val_loss"],
    }
    return RunRecord(summary, history)


PRECISE = SearchSettings(last_epochs=5, n_val=10**9)  # a standard error of ~1e-5: no ties


def test_robust_criterion_disagrees_with_the_last_epoch():
    # lr 0.1 ends on a lucky epoch (0.90) but averages 0.84 over the last 5; lr 0.01 is steady at 0.86
    noisy = run(0.1, [0.1, 0.8, 0.83, 0.82, 0.84, 0.81, 0.90])
    steady = run(0.01, [0.1, 0.8, 0.86, 0.86, 0.86, 0.86, 0.86])
    candidates = score_candidates([noisy, steady], PRECISE)
    assert max(candidates, key=lambda c: c["mean_val_accuracy"])["lr"] == 0.1  # what the old rule picked
    assert pick(candidates, "val_accuracy")["lr"] == 0.01
    assert candidates[1]["score"] == pytest.approx((0.83 + 0.82 + 0.84 + 0.81 + 0.90) / 5)


def test_differences_within_one_standard_error_are_ties_decided_by_the_validation_loss():
    settings = SearchSettings(last_epochs=1, n_val=10_000)  # SE of an accuracy near 0.86: 0.0035
    a = run(0.001, [0.1, 0.8653], val_loss=0.21)
    b = run(0.003, [0.1, 0.8650], val_loss=0.20)  # 0.03 pp lower accuracy, lower loss
    c = run(0.01, [0.1, 0.8500], val_loss=0.19)  # 1.5 pp lower: not tied, although its loss is lowest
    candidates = score_candidates([a, b, c], settings)
    assert candidates[0]["se"] == pytest.approx(math.sqrt(0.8653 * 0.1347 / 10_000))
    assert pick(candidates, "val_accuracy")["lr"] == 0.003


def test_validation_loss_criterion_prefers_the_lower_loss_and_seeds_give_the_standard_error():
    settings = SearchSettings(criterion="val_loss", last_epochs=1)
    runs = [run(0.01, [0.1, 0.8], val_loss=v, seed=s) for s, v in enumerate((0.20, 0.22))]
    runs += [run(0.03, [0.1, 0.8], val_loss=v, seed=s) for s, v in enumerate((0.30, 0.31))]
    candidates = score_candidates(runs, settings)
    assert candidates[0]["score"] == pytest.approx(0.21) and candidates[0]["se"] == pytest.approx(0.01)
    assert pick(candidates, "val_loss")["lr"] == 0.01


def test_diverged_runs_are_excluded_and_all_diverged_chooses_nothing():
    ok = run(0.01, [0.1, 0.8])
    bad = run(0.5, [0.1, 0.9], status="diverged")
    assert pick(score_candidates([ok, bad], PRECISE), "val_accuracy")["lr"] == 0.01
    result = search_round([bad], PRECISE, 0, {"0.5": 0})
    assert result["chosen_lr"] is None and result["all_diverged"] and result["next_lrs"] == []


def test_round_lr_prefers_one_significant_digit_strictly_inside_the_gap():
    assert round_lr(0.001 / math.sqrt(10), high=0.001) == 0.0003
    assert round_lr(math.sqrt(0.03 * 0.1), low=0.03, high=0.1) == 0.05
    assert round_lr(math.sqrt(0.05 * 0.06), low=0.05, high=0.06) == 0.055  # 0.05 is not inside
    assert round_lr(0.0505, low=0.05, high=0.051) is None


def candidates_of(lrs, chosen, diverged=()):
    return [{"lr": lr, "diverged": lr in diverged, "chosen": lr == chosen} for lr in lrs]


def test_the_search_goes_down_from_the_smallest_and_into_the_gap_below_divergence():
    lrs = [0.001, 0.003, 0.01, 0.03, 0.1, 0.5]
    smallest = candidates_of(lrs, 0.001, diverged=(0.1, 0.5))
    assert next_lrs(smallest, 0.001, math.sqrt(10)) == [0.0003]
    edge = candidates_of(lrs, 0.03, diverged=(0.1, 0.5))
    assert bracket(edge, 0.03) == {"below": 0.01, "above": None, "diverged_above": 0.1, "closed": False}
    assert next_lrs(edge, 0.03, math.sqrt(10)) == [0.05]
    inside = candidates_of(lrs, 0.01, diverged=(0.1, 0.5))
    assert bracket(inside, 0.01)["closed"] and next_lrs(inside, 0.01, math.sqrt(10)) == []
    nothing_diverged = candidates_of([0.001, 0.01], 0.01)
    assert next_lrs(nothing_diverged, 0.01, math.sqrt(10)) == [0.03]


def test_the_last_allowed_round_proposes_nothing_and_says_the_budget_ran_out():
    runs = [run(0.001, [0.1, 0.86]), run(0.003, [0.1, 0.80])]
    settings = SearchSettings(last_epochs=1, n_val=10**9, max_rounds=1)
    first = search_round(runs, settings, 0, rounds_so_far(None, [0.001, 0.003]))
    assert first["chosen_lr"] == 0.001 and first["next_lrs"] == [0.0003] and not first["budget_exhausted"]
    rounds = rounds_so_far(first, [0.001, 0.003])
    assert rounds == {"0.001": 0, "0.003": 0, "0.0003": 1}
    second = search_round([*runs, run(0.0003, [0.1, 0.87])], settings, 1, rounds)
    assert second["chosen_lr"] == 0.0003 and second["next_lrs"] == [] and second["budget_exhausted"]
    assert {c["lr"]: c["round"] for c in second["candidates"]} == {0.0003: 1, 0.001: 0, 0.003: 0}


@pytest.mark.process
def test_the_lr_search_reads_runs_without_the_training_imports():
    """lr_search_round, choose_lr and compare_backends run dozens of times per build, each a
    fresh process: reading runs must not import Numba or SciPy (about 0.5 s each)."""
    import subprocess
    import sys

    code = (
        "import sys; import mnist_sgd.train.run_files, mnist_sgd.train.lr_choice, mnist_sgd.train.consistency; "
        "print(sorted(m for m in ('numba', 'scipy', 'pandas', 'tensorflow', 'torch') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr

"""The explanations of the comments, on hand-built tables: each usual claim is made when the numbers
support it and dropped (or contradicted) when they do not."""

import numpy as np
import pandas as pd
from test_report import floors_table, runs_table

from mnist_sgd.report.commentary import batch_size_comment
from mnist_sgd.report.subset_commentary import subset_size_comment


def epochs_rows(b, lr, losses, n=50000, floor=0.197):
    return pd.DataFrame(
        {
            "backend": "numpy",
            "batch_size": b,
            "n_train": n,
            "lr_path": f"{lr:g}",
            "seed": 0,
            "lr": lr,
            "epoch": np.arange(len(losses)),
            "updates": np.arange(len(losses)) * (n // b),
            "train_loss": losses,
        }
    )


def lr_choice_rows(points, bracket=True):
    rows = []
    for b, n, lr, below, above, exhausted in points:
        for cand in [x for x in (below, lr, above) if x is not None]:
            rows.append(
                {
                    "backend": "numpy",
                    "batch_size": b,
                    "n_train": n,
                    "lr": cand,
                    "diverged": False,
                    "chosen": cand == lr,
                    "mean_val_accuracy": 0.86 if cand == lr else 0.85,
                    **(
                        {
                            "bracket_below": below if below is not None else np.nan,
                            "bracket_above": above if above is not None else np.nan,
                            "bracket_closed": below is not None and above is not None,
                            "budget_exhausted": exhausted,
                            "criterion": "mean validation accuracy over the last 5 epochs",
                        }
                        if bracket
                        else {}
                    ),
                }
            )
    return pd.DataFrame(rows)


def paired(kind, pairs):
    """A paired-tests table: (side a dict, side b dict, only_a, only_b, p) per row, 10,000 images."""
    rows = []
    for a, b, only_a, only_b, p in pairs:
        rows.append(
            {
                "kind": kind,
                "split": "test",
                **{f"{k}_a": v for k, v in a.items()},
                **{f"{k}_b": v for k, v in b.items()},
                "seeds": 1,
                "images": 10000,
                "correct_a": 8500 + only_a,
                "correct_b": 8500 + only_b,
                "only_a": only_a,
                "only_b": only_b,
                "p_exact": p,
                "p_mid": p,
                "verdict": "different" if p < 0.05 else "indistinguishable",
            }
        )
    return pd.DataFrame(rows)


def side(b, n=50000, backend="numpy"):
    return {"backend": backend, "batch_size": b, "n_train": n, "lr": 0.01}


def test_cost_explanation_needs_a_falling_cost_per_example():
    # usual case: per-example cost falls with B -> fixed cost per update, with the fitted numbers
    runs = runs_table([{"B": 1, "lr": 0.01, "t": 10.0, "acc": 0.85}, {"B": 1000, "lr": 0.01, "t": 1.0, "acc": 0.86}])
    text = " ".join(batch_size_comment(runs, [1, 1000], 50000, epochs=1))
    assert "Per training example an update cost 200\u00a0µs at B = 1, 20\u00a0µs at B = 1,000." in text
    assert "Each update pays a fixed cost" in text and "an example cost 10 times less" in text
    # the usual claim is false: B = 1000 costs more per example
    runs = runs_table([{"B": 1, "lr": 0.01, "t": 1.0, "acc": 0.85}, {"B": 1000, "lr": 0.01, "t": 2.0, "acc": 0.86}])
    text = " ".join(batch_size_comment(runs, [1, 1000], 50000, epochs=1))
    assert "The cost per example did not fall from B = 1 to B = 1,000" in text
    assert "fixed cost per update shared by more examples) does not fit these timings" in text
    assert "Each update pays a fixed cost" not in text


def test_noise_floor_claim_only_when_settled_gaps_grow_with_lr_over_b():
    flat = [0.5, 0.30, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]

    def case(gap_b1, gap_b100):
        runs = runs_table(
            [
                {"B": 1, "lr": 0.01, "t": 10.0, "acc": 0.85, "loss": 0.197 + gap_b1},
                {"B": 100, "lr": 0.01, "t": 1.0, "acc": 0.86, "loss": 0.197 + gap_b100},
            ]
        )
        epochs = pd.concat(
            [
                epochs_rows(1, 0.01, [*flat[:-1], 0.197 + gap_b1][:10] + [0.197 + gap_b1]),
                epochs_rows(100, 0.01, [*flat[:-1], 0.197 + gap_b100][:10] + [0.197 + gap_b100]),
            ]
        )
        for b, g in ((1, gap_b1), (100, gap_b100)):
            epochs.loc[(epochs.batch_size == b) & (epochs.epoch >= 2), "train_loss"] = 0.197 + g
        tables = {
            "epochs": epochs,
            "lr_choice": lr_choice_rows([], bracket=False).reindex(
                columns=["backend", "batch_size", "n_train", "lr", "diverged", "chosen"]
            ),
        }
        return " ".join(batch_size_comment(runs, [1, 100], 50000, epochs=10, tables=tables))

    usual = case(0.05, 0.005)  # lr/B larger at B = 1, gap larger there
    assert "there the gap grows with lr/B" in usual
    contrary = case(0.005, 0.05)  # the larger lr/B has the smaller gap
    assert "does not grow with lr/B there, so gradient noise alone does not explain these gaps" in contrary
    assert "grows with lr/B:" not in contrary


def test_stable_range_claim_is_dropped_when_it_shrinks_with_b():
    runs = runs_table(
        [
            {"B": 1, "lr": 0.03, "t": 8.0, "acc": 0.85, "diverged": [0.1]},
            {"B": 100, "lr": 0.003, "t": 1.0, "acc": 0.86, "diverged": [0.01]},
        ]
    )
    text = " ".join(batch_size_comment(runs, [1, 100], 50000, epochs=5, curvature={"gd_lr_bound": 0.052}))
    assert "B = 1: stable at 0.03, diverged at 0.1; B = 100: stable at 0.003, diverged at 0.01." in text
    assert "The stable range did not grow with B here" in text
    assert "grows with B" not in text


def test_accuracy_differences_only_where_mcnemar_says_so():
    runs = runs_table(
        [
            {"B": 1, "lr": 0.01, "t": 8.0, "acc": 0.8264},
            {"B": 10, "lr": 0.01, "t": 2.0, "acc": 0.8590},
            {"B": 100, "lr": 0.01, "t": 1.0, "acc": 0.8578},
        ]
    )
    tests = paired(
        "batch",
        [
            (side(1), side(10), 203, 529, 1e-30),
            (side(1), side(100), 356, 670, 1e-20),
            (side(10), side(100), 236, 224, 0.61),
        ],
    )
    text = " ".join(batch_size_comment(runs, [1, 10, 100], 50000, epochs=5, tests=tests))
    assert "B = 10 and B = 100 are indistinguishable at this sample size." in text
    assert "B = 10 above B = 1 (p\u00a0<\u00a00.001); B = 100 above B = 1 (p\u00a0<\u00a00.001)." in text
    assert "B = 10 above B = 100" not in text and "B = 100 above B = 10" not in text


def test_brackets_are_stated_with_open_sides_and_an_exhausted_budget():
    runs = runs_table([{"B": 1, "lr": 0.001, "t": 8.0, "acc": 0.85}, {"B": 100, "lr": 0.03, "t": 1.0, "acc": 0.86}])
    tables = {
        "epochs": pd.concat([epochs_rows(1, 0.001, [0.5, 0.3]), epochs_rows(100, 0.03, [0.5, 0.3])]),
        "lr_choice": lr_choice_rows([(1, 50000, 0.001, None, 0.003, True), (100, 50000, 0.03, 0.01, 0.05, False)]),
    }
    text = " ".join(batch_size_comment(runs, [1, 100], 50000, epochs=1, tables=tables))
    assert (
        "Final learning-rate brackets (tried lr below < chosen < tried lr above): B = 1: … < 0.001 < 0.003; B = 100: 0.01 < 0.03 < 0.05."
        in text
    )
    assert "At B = 1 the bracket is open on one side" in text
    assert "At B = 1 the lr search used all its extra rounds before the bracket closed." in text
    assert "smallest one tried" not in text  # brackets replace the edge-of-grid guess


def test_the_interpolation_regime_is_named_only_where_rank_equals_n():
    runs = runs_table(
        [
            {"B": 100, "N": 100, "lr": 0.03, "t": 0.01, "acc": 0.60, "train_acc": 1.0},
            {"B": 100, "N": 1000, "lr": 0.03, "t": 0.1, "acc": 0.80, "train_acc": 0.95},
        ]
    )
    floors = floors_table([(100, 0.0, 1.0, 0.57), (1000, 0.08, 0.97, 0.76)]).assign(rank=[100, 579])
    text = " ".join(subset_size_comment(runs, floors, [100, 1000], 100, epochs=5))
    assert "For N′ = 100 the design matrix has rank N′" in text
    assert "Above the rank the floor is positive (rank 579 at N′ = 1,000)" in text
    floors = floors.assign(rank=[90, 579])  # rank below N′ although L* = 0: no rank explanation
    text = " ".join(subset_size_comment(runs, floors, [100, 1000], 100, epochs=5))
    assert "design matrix has rank N′" not in text

"""The report's figures on hand-built tables: the values they draw, their axes, and the names,
captions and report entries a config yields (no pixel is compared)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mnist_sgd import layout
from mnist_sgd.config import validate_config
from mnist_sgd.report.batch_figures import (
    kernel_epoch_seconds,
    lr_choice_points,
    lr_over_b_points,
    stability_bounds,
    step_time_figure,
)
from mnist_sgd.report.catalog import caption_name, figure_names, snakemake_report_entry
from mnist_sgd.report.figures import FIGURES, make_figure, subset_points
from mnist_sgd.report.plotting import (
    STYLE,
    log_ticks_between,
    plateau_range,
    plt,
    sci,
    svg_text,
    tick_label,
)

N = 1000  # the "full" training set of the hand-built tables
EPOCHS = 4
FLOOR = {N: 0.15, 100: 0.0}


def config_of(seeds=(0,), batch_sizes=(1, 10), subset_sizes=(100,), backends=("tensorflow",)) -> dict:
    return validate_config(
        {
            "data": {"n_train": N},
            "training": {"epochs": EPOCHS, "seeds": list(seeds)},
            "grid": {
                "batch_sizes": list(batch_sizes),
                "subset_sizes": list(subset_sizes),
                "subset_batch_size": 10,
                "learning_rates": [0.001, 0.01, 0.1],
            },
            "lr_search": {"last_epochs": 2},
            "frameworks": {"backends": list(backends)},
        }
    )


def tables_of(points: dict, seeds=(0,), backends=("tensorflow",)) -> dict:
    """Tables of NumPy runs: ``points`` maps (B, N') to {lr: final train loss, or None if diverged};
    the chosen lr is the one with the lowest loss. Every run's loss falls linearly to its final value;
    the validation accuracy of epoch e is 0.8 + 0.01 e - 0.001 seed; training takes 0.1 s per epoch x B."""
    runs, epochs, choice, floors = [], [], [], []
    for (b, n), lrs in points.items():
        ok = {lr: loss for lr, loss in lrs.items() if loss is not None}
        chosen = min(ok, key=ok.get) if ok else None
        backends_here = ["numpy", *backends] if (b, n) == (10, N) else ["numpy"]
        for backend in backends_here:
            for lr, loss in lrs.items() if backend == "numpy" else [(chosen, ok.get(chosen))]:
                if lr is None:
                    continue
                diverged = loss is None
                for seed in seeds:
                    run_epochs = 1 if diverged else EPOCHS
                    final = math.inf if diverged else loss + 0.001 * seed
                    runs.append(
                        {
                            "backend": backend,
                            "batch_size": b,
                            "n_train": n,
                            "lr": lr,
                            "lr_path": str(lr),
                            "seed": seed,
                            "diverged": diverged,
                            "chosen": lr == chosen,
                            "epochs_run": run_epochs,
                            "train_seconds": 0.1 * b * run_epochs * (1 + 0.1 * seed),
                            "final_train_loss": final,
                            "final_train_accuracy": 0.9,
                            "final_val_accuracy": 0.8 + 0.01 * EPOCHS - 0.001 * seed,
                            "final_val_loss": 0.3 + lr,
                            "final_test_accuracy": 0.85,
                            "final_test_loss": 0.25,
                        }
                    )
                    for e in range(run_epochs + 1):
                        epochs.append(
                            {
                                "backend": backend,
                                "batch_size": b,
                                "n_train": n,
                                "lr": lr,
                                "lr_path": str(lr),
                                "seed": seed,
                                "epoch": e,
                                "train_loss": 0.5 + (final - 0.5) * e / EPOCHS,
                                "train_accuracy": 0.9,
                                "val_accuracy": 0.8 + 0.01 * e - 0.001 * seed,
                                "val_loss": 0.3,
                                "test_accuracy": 0.84 + 0.001 * e,
                            }
                        )
        for lr, loss in lrs.items():
            choice.append(
                {
                    "backend": "numpy",
                    "batch_size": b,
                    "n_train": n,
                    "lr": lr,
                    "diverged": loss is None,
                    "chosen": lr == chosen,
                    "mean_val_accuracy": np.nan if loss is None else 0.8 + 0.01 * EPOCHS,
                    "mean_val_loss": np.nan if loss is None else 0.3 + lr,
                    "criterion": "validation accuracy averaged over the last 2 epochs",
                }
            )
    for n in sorted({n for _, n in points}):
        for seed in seeds:
            floors.append(
                {
                    "n_train": n,
                    "seed": seed,
                    "floor_loss": FLOOR.get(n, 0.1),
                    "rank": min(n, 700),
                    "train_accuracy": 1.0 if n <= 700 else 0.9,
                    "val_accuracy": 0.5,
                    "test_accuracy": 0.6 if n < N else 0.84,
                    "test_loss": 5.0 if n < N else 0.3,
                }
            )
    return {
        "runs": pd.DataFrame(runs),
        "epochs": pd.DataFrame(epochs),
        "floors": pd.DataFrame(floors),
        "lr_choice": pd.DataFrame(choice),
        "consistency": pd.DataFrame(),
        "step_timing": timing_table(),
    }


def timing_table() -> pd.DataFrame:
    rows = []
    for impl, per_update, per_example in (("textbook", 1e-5, 1e-6), ("kernel", 0.0, 1e-6)):
        for b in (1, 10):
            updates, examples = math.ceil(N / b) * 2, 2 * N
            seconds = updates * per_update + examples * per_example
            rows.append(
                {
                    "implementation": impl,
                    "batch_size": b,
                    "n_train": N,
                    "lr": 3e-5 * b,
                    "epochs_timed": 2,
                    "examples": examples,
                    "updates": updates,
                    "seconds": seconds,
                    "seconds_per_epoch": seconds / 2,
                    "seconds_per_update": seconds / updates,
                    "seconds_per_example": seconds / examples,
                }
            )
    return pd.DataFrame(rows)


DEFAULT_POINTS = {
    (1, N): {0.001: 0.20, 0.01: 0.17, 0.1: None},
    (10, N): {0.001: 0.30, 0.01: 0.19, 0.1: 0.18},
    (10, 100): {0.001: 0.05, 0.01: 0.02, 0.1: None},
}


def draw(name: str, tables: dict, config: dict) -> str:
    with plt.rc_context(STYLE):
        return svg_text(make_figure(name, tables, config), name)


# ---- which figures, their captions and report entries -------------------------------


def test_figure_names_follow_the_grid_and_each_has_a_caption_and_a_report_entry(repo_root):
    full = config_of()
    assert figure_names(full) == ["lr_choice", "batch_curves", "lr_over_b", "step_time", "subset_size", "backends"]
    assert figure_names(config_of(subset_sizes=(), backends=())) == [
        "lr_choice",
        "batch_curves",
        "lr_over_b",
        "step_time",
    ]
    assert figure_names(config_of(batch_sizes=(), backends=())) == ["subset_size"]
    assert set(figure_names(full)) == set(FIGURES)
    for name in figure_names(full):
        assert (repo_root / layout.caption(caption_name(name))).is_file(), name
        entry = snakemake_report_entry(name)
        assert entry["category"] == "Figures" and entry["subcategory"].startswith("question ")
        assert entry["labels"]["figure"]


# ---- axes -----------------------------------------------------------------------------


def test_every_log_axis_gets_at_least_three_ticks_written_in_full():
    assert [tick_label(t) for t in log_ticks_between(7e-6, 0.6, thirds=True)] == [
        "1e-05", "3e-05", "0.0001", "0.0003", "0.001", "0.003", "0.01", "0.03", "0.1", "0.3",
    ]  # fmt: skip
    assert [tick_label(t) for t in log_ticks_between(80, 12_000)] == ["100", "1,000", "10,000"]
    assert [tick_label(t) for t in log_ticks_between(0.0031, 0.12)] == ["0.005", "0.01", "0.02", "0.05", "0.1"]
    assert [tick_label(t) for t in log_ticks_between(0.18, 0.5)] == ["0.2", "0.3", "0.5"]
    for lo, hi in ((1e-7, 1e-3), (0.0025, 0.04), (0.5, 1.4), (1e-9, 10.0)):
        assert 3 <= len(log_ticks_between(lo, hi)) <= 8, (lo, hi)
    assert sci(3e-4) == "0.0003" and sci(0.0949) == "0.0949" and sci(3e-5) == "3e-05"  # as the tables write them


def test_the_zoom_shows_the_plateau_and_leaves_a_far_off_value_outside():
    values = [0.8649, 0.8634, 0.8611, 0.8581, 0.70]  # the last: an lr far too large
    lo, hi = plateau_range(values, window=0.02)
    assert lo > 0.85 and 0.8649 < hi < 0.87
    lo, hi = plateau_range([0.1905, 0.1910, 0.345], window=0.015, higher_is_better=False)
    assert lo < 0.1905 and 0.1910 < hi < 0.21


# ---- what the figures draw ------------------------------------------------------------------


def test_lr_over_b_points_are_lr_over_b_and_the_final_gap_above_the_floor():
    config = config_of(seeds=(0, 1))
    pts = lr_over_b_points(tables_of(DEFAULT_POINTS, seeds=(0, 1)), config)
    got = {(r.batch_size, r.lr): r for r in pts.itertuples()}
    assert set(got) == {(1, 0.001), (1, 0.01), (10, 0.001), (10, 0.01), (10, 0.1)}  # not the diverged lr
    for (b, lr), r in got.items():
        loss = DEFAULT_POINTS[(b, N)][lr]
        assert r.lr_over_b == pytest.approx(lr / b)
        # mean over seeds 0 and 1 (final loss + 0.001 seed) minus L*
        assert r.gap == pytest.approx(loss + 0.0005 - FLOOR[N])
        assert (r.gap_min, r.gap_max) == pytest.approx((loss - FLOOR[N], loss + 0.001 - FLOOR[N]))
        assert r.chosen == (lr == min((x for x in DEFAULT_POINTS[(b, N)].items() if x[1]), key=lambda x: x[1])[0])


def test_lr_choice_points_score_the_criterion_over_the_last_epochs_and_the_search_seeds():
    config = config_of(seeds=(0, 1))
    config["lr_search"]["seeds"] = "all"
    tables = tables_of(DEFAULT_POINTS, seeds=(0, 1))
    for table in ("lr_choice",):  # recompute the score from the epochs
        tables[table] = tables[table].drop(columns=["score"], errors="ignore")
    pts = lr_choice_points(tables, config)
    assert len(pts) == 6  # the full set's lrs only, diverged ones included
    ok = pts[~pts.diverged]
    # val_accuracy 0.8 + 0.01 e - 0.001 seed, last 2 of 4 epochs: mean of e = 3, 4 and of the seeds
    assert ok.score.to_numpy() == pytest.approx(np.full(len(ok), 0.8 + 0.035 - 0.0005))
    # the search on the first seed only (the default): seed 1 does not count
    config["lr_search"]["seeds"] = "first"
    first = lr_choice_points(tables, config)
    assert first[~first.diverged].score.to_numpy() == pytest.approx(np.full(len(ok), 0.8 + 0.035))
    assert pts[pts.diverged].score.isna().all()
    assert ok.tie_loss.to_numpy() == pytest.approx(0.3 + ok.lr.to_numpy())
    assert pts[pts.chosen].lr.tolist() == [0.01, 0.1]


def test_the_step_time_figure_draws_the_timing_table_and_the_runs_spread():
    config = config_of(seeds=(0, 1))
    tables = tables_of(DEFAULT_POINTS, seeds=(0, 1))
    with plt.rc_context(STYLE):
        fig = step_time_figure(tables, config)
    ax_epoch, ax_unit = fig.axes
    lines = {line.get_label(): line for line in ax_epoch.get_lines()}
    timing = tables["step_timing"]
    for impl in ("textbook", "kernel"):
        (label,) = [k for k in lines if k.startswith("textbook" if impl == "textbook" else "compiled")]
        t = timing[timing.implementation == impl]
        assert list(lines[label].get_xdata()) == t.batch_size.tolist()
        assert list(lines[label].get_ydata()) == pytest.approx(t.seconds_per_epoch.tolist())
    unit = {line.get_label(): line for line in ax_unit.get_lines()}
    assert list(unit["textbook: per update"].get_ydata()) == pytest.approx(
        timing[timing.implementation == "textbook"].seconds_per_update.tolist()
    )
    plt.close(fig)
    # the runs: 0.1 s x B per epoch, seed 1 10 % slower; diverged runs (stopped early) left out
    spread = kernel_epoch_seconds(tables, config)
    assert spread.batch_size.tolist() == [1, 10]
    assert spread["min"].tolist() == pytest.approx([0.1, 1.0]) and spread["max"].tolist() == pytest.approx([0.11, 1.1])
    assert spread.runs.tolist() == [4, 6]


def test_the_step_time_figure_says_so_without_the_timing_table():
    tables = tables_of(DEFAULT_POINTS) | {"step_timing": None}
    assert "no timing of the SGD step" in draw("step_time", tables, config_of())


def test_subset_points_include_the_full_set_and_the_rank():
    pts = subset_points(tables_of(DEFAULT_POINTS), config_of())
    assert pts.n_train.tolist() == [100, N]  # the full set's B = 10 run and floor exist
    assert pts.lsq_rank.tolist() == [100, 700] and pts.lsq_test_loss.tolist() == [5.0, 0.3]
    assert pts.lr.tolist() == [0.01, 0.1] and "lsq_w_norm" in pts and pts.lsq_w_norm.isna().all()


@pytest.mark.parametrize("seeds", [(0,), (0, 1, 2)])
def test_every_figure_draws_and_a_missing_piece_is_said_not_raised(seeds):
    config = config_of(seeds=seeds)
    tables = tables_of(DEFAULT_POINTS, seeds=seeds)
    tables["floors"]["w_norm"] = 10.0
    for name in figure_names(config):
        assert draw(name, tables, config).startswith("<?xml"), name
    # every lr diverged at B = 1, no framework run, no subset run
    broken = dict(DEFAULT_POINTS) | {(1, N): {0.001: None, 0.01: None, 0.1: None}}
    del broken[(10, 100)]
    tables = tables_of(broken, seeds=seeds, backends=())
    for name in figure_names(config):
        assert draw(name, tables, config).startswith("<?xml"), name
    assert "every lr diverged" in draw("batch_curves", tables, config)
    assert "no framework run" in draw("backends", tables, config)


def test_stability_bounds_are_2_over_lambda_max_and_for_b_1_2_over_the_mean_squared_norm():
    config = config_of()
    tables = tables_of(DEFAULT_POINTS)
    assert stability_bounds(tables, config) == {}  # the floors table records no curvature
    tables["floors"] = tables["floors"].assign(lambda_max=40.0, gd_lr_bound=0.05, mean_sq_norm=100.0)
    assert stability_bounds(tables, config) == pytest.approx({1: 0.02, 10: 0.05})


def test_the_lr_choice_axis_is_not_stretched_by_a_far_off_lr_whose_value_is_written():
    config = config_of()
    tables = tables_of(DEFAULT_POINTS)
    e = tables["epochs"]
    e.loc[(e.batch_size == 10) & (e.lr == 0.001), "val_accuracy"] = 0.5  # one bad lr
    with plt.rc_context(STYLE):
        fig = make_figure("lr_choice", tables, config)
    lo, hi = fig.axes[0].get_ylim()
    assert 0.8 < lo < 0.835 < hi < 0.85  # the good lrs score 0.835; the bad one is off the axis
    assert "0.500" in [t.get_text() for t in fig.axes[0].texts]
    plt.close(fig)


def test_on_the_default_build_the_figures_draw_and_the_criterion_recomputed_is_the_recorded_score():
    from default_build import inputs

    report = inputs()
    tables, config = report.tables, report.config
    recorded = lr_choice_points(tables, config)
    recomputed = lr_choice_points(tables | {"lr_choice": tables["lr_choice"].drop(columns=["score"])}, config)
    assert recorded.score.notna().sum() == (~recorded.diverged).sum() > 0
    assert np.allclose(recorded.score, recomputed.score, rtol=0, atol=1e-12, equal_nan=True)
    # the default build's chosen lrs share one lr/B, and each lies in its B's tied set
    chosen = recorded[recorded.chosen]
    assert len({round(lr / b, 12) for lr, b in zip(chosen.lr, chosen.batch_size)}) == 1
    for r in chosen.itertuples():
        at_b = recorded[recorded.batch_size == r.batch_size]
        best = at_b.loc[at_b.score.idxmax()]
        assert r.score >= best.score - best.se
    tables = tables | {"step_timing": report.step_timing if report.step_timing is not None else timing_table()}
    for name in figure_names(config):
        assert draw(name, tables, config).startswith("<?xml"), name

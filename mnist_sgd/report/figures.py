"""The report's figures (Matplotlib, SVG), drawn from the aggregated tables only.

Every figure has labelled axes with units and a legend naming B, N′ or the backend; every log
axis has at least three tick labels, written in full. With several seeds a curve is the mean
over seeds with a min-max band. A piece of the grid that is missing (no framework runs, every
lr diverged at some B, no timing table) gives a figure that says so instead of an error.
Which figures a config yields: :mod:`mnist_sgd.report.catalog`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mnist_sgd import grid
from mnist_sgd.atomic import write_atomically
from mnist_sgd.report.batch_figures import batch_curves_figure, lr_choice_figure, lr_over_b_figure, step_time_figure
from mnist_sgd.report.plotting import (
    BACKEND_STYLE,
    STYLE,
    TEST_COLOR,
    TRAIN_COLOR,
    curve,
    log_axis,
    plateau_range,
    plt,
    say,
    svg_text,
    value_axis,
)
from mnist_sgd.report.queries import chosen_lr, floor_of, run_epochs, runs_at_lr
from mnist_sgd.stats import accuracy_interval

#: Colour of the least-squares solution W* and of the rank of the data.
LSQ_COLOR, RANK_COLOR = "#CC79A7", "#777777"


def subset_points(tables: dict, config: dict) -> pd.DataFrame:
    """Per N′ at B = subset_batch_size (and the full training set, if its B run and floor exist):
    SGD's final train and test accuracy and test loss at the chosen lr (mean over seeds), and the
    least-squares solution W*'s train and test accuracy, test loss, norm (if recorded) and the rank
    of the data (mean over the subsets' seeds). lr is NaN where every lr diverged."""
    b = config["grid"]["subset_batch_size"]
    n_full = config["data"]["n_train"]
    sizes = sorted(config["grid"]["subset_sizes"])
    if n_full not in sizes and floor_of(tables, n_full) and chosen_lr(tables, b, n_full) is not None:
        sizes.append(n_full)
    floors = tables["floors"]
    out = []
    for n in sizes:
        lr = chosen_lr(tables, b, n)
        f = floors[floors.n_train == n]
        row = {"n_train": n, "lr": np.nan if lr is None else lr}
        for col in ("train_accuracy", "test_accuracy", "test_loss", "w_norm", "rank"):
            row[f"lsq_{col}"] = float(f[col].mean()) if col in f and len(f) else np.nan
        sel = runs_at_lr(tables["runs"], b, n, lr) if lr is not None else None
        for col in ("train_accuracy", "test_accuracy", "test_loss"):
            values = sel[f"final_{col}"] if sel is not None and len(sel) else pd.Series([np.nan])
            row |= {f"sgd_{col}": values.mean(), f"sgd_{col}_min": values.min(), f"sgd_{col}_max": values.max()}
        row["seeds"] = sel.seed.nunique() if sel is not None else 0
        out.append(row)
    return pd.DataFrame(out)


def subset_figure(tables: dict, config: dict) -> Figure:
    """Question 5: (a) final test accuracy (95 % Wilson intervals) and training accuracy against N′
    (log x) for SGD at the chosen lr and for the least-squares solution W*; (b) the test loss of W*
    (and of SGD) and W*'s norm against N′ on log axes, the rank of the data marked: W* tests worst
    where N′ is close to the rank (a near-singular system)."""
    b = config["grid"]["subset_batch_size"]
    n_test = config["data"].get("n_test", 10000)
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(6.6, 3.2), layout="constrained")
    pts = subset_points(tables, config)
    if not len(pts) or pts[["sgd_test_accuracy", "lsq_test_accuracy"]].isna().all().all():
        for ax in (ax_acc, ax_loss):
            say(ax, "no run and no least-squares solution at any N′")
        return fig
    for prefix, label, color, marker in (("sgd", "SGD", TEST_COLOR, "o"), ("lsq", "$W^*$", LSQ_COLOR, "D")):
        test = pts[f"{prefix}_test_accuracy"]
        ci = np.array([accuracy_interval(a, n_test) for a in test])
        ax_acc.errorbar(
            pts.n_train,
            test,
            yerr=[test - ci[:, 0], ci[:, 1] - test],
            color=color,
            marker=marker,
            markersize=3.5,
            capsize=2,
            label=f"{label}, test (95 % Wilson)",
        )
        if prefix == "sgd" and pts.seeds.max() > 1:  # the spread over seeds (subset draws and shuffles)
            ax_acc.fill_between(
                pts.n_train, pts.sgd_test_accuracy_min, pts.sgd_test_accuracy_max, color=color, alpha=0.18, linewidth=0
            )
        ax_acc.plot(
            pts.n_train,
            pts[f"{prefix}_train_accuracy"],
            color=color,
            marker=marker,
            markersize=3.5,
            markerfacecolor="none",
            linestyle="--",
            linewidth=1.0,
            label=f"{label}, training",
        )
    ax_acc.set_xscale("log")
    value_axis(ax_acc, pts.n_train)
    ax_acc.set_ylim(top=1.02)
    ax_acc.set_xlabel("training-set size N′ (log scale)")
    ax_acc.set_ylabel("final accuracy")
    ax_acc.set_title(f"(a) accuracy, B = {b:,}")
    ax_acc.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=6.5)
    handles = []
    for col, label, color, marker in (
        ("lsq_test_loss", "$W^*$, test loss", LSQ_COLOR, "D"),
        ("sgd_test_loss", "SGD, test loss", TEST_COLOR, "o"),
    ):
        ok = pts[np.isfinite(pts[col]) & (pts[col] > 0)]
        if len(ok):
            handles += ax_loss.plot(ok.n_train, ok[col], color=color, marker=marker, markersize=3.5, label=label)
        if col == "lsq_test_loss":
            for r in ok[np.isfinite(ok.lsq_rank)].itertuples():
                last = r.n_train == ok.n_train.max()  # written left of the last point, inside the axes
                ax_loss.annotate(
                    f"rank {r.lsq_rank:,.0f}",
                    (r.n_train, r.lsq_test_loss),
                    xytext=(-5, -9) if last else (5, 3),
                    textcoords="offset points",
                    fontsize=6,
                    color=LSQ_COLOR,
                    ha="right" if last else "left",
                )
    ax_loss.set_xscale("log")
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("training-set size N′ (log scale)")
    ax_loss.set_ylabel("test loss (log scale)")
    ax_loss.set_title("(b) $W^*$ near the rank of the data")
    norm = pts[np.isfinite(pts.lsq_w_norm) & (pts.lsq_w_norm > 0)]
    if len(norm):
        ax_norm = ax_loss.twinx()
        handles += ax_norm.plot(
            norm.n_train,
            norm.lsq_w_norm,
            color=TRAIN_COLOR,
            marker="s",
            markersize=3.5,
            linestyle=":",
            label="$\\|W^*\\|$ (right axis)",
        )
        ax_norm.set_yscale("log")
        ax_norm.set_ylabel("$\\|W^*\\|$ (log scale)")
        ax_norm.grid(False)
        ax_norm.spines["right"].set_visible(True)
        log_axis(ax_norm)
    rank = pts.lsq_rank.max()
    if np.isfinite(rank):
        ax_loss.axvline(rank, color=RANK_COLOR, linestyle="-.", linewidth=1.0)
        handles.append(
            plt.Line2D([], [], color=RANK_COLOR, linestyle="-.", label=f"rank of the full training set, {rank:,.0f}")
        )
    value_axis(ax_loss, pts.n_train)
    log_axis(ax_loss)
    ax_loss.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=6.5)
    return fig


def backends_figure(tables: dict, config: dict) -> Figure:
    """Question 6, at the comparison point and NumPy's chosen lr: test accuracy per epoch from
    epoch 1 (zoomed) of NumPy and every framework run (the idiomatic ones with their own
    shuffling too), and |L_fw − L_np| / L_np per epoch (log y) of the frameworks that follow
    NumPy's minibatches."""
    p = grid.comparison_point(config)
    fig, (ax_acc, ax_diff) = plt.subplots(1, 2, figsize=(6.6, 2.9), layout="constrained")
    lr = chosen_lr(tables, p.batch_size, p.n_train)
    ref = run_epochs(tables, grid.NUMPY, p.batch_size, p.n_train, lr=lr) if lr is not None else None
    framework = [
        b
        for b in config["frameworks"]["backends"]
        if lr is not None and len(run_epochs(tables, b, p.batch_size, p.n_train, lr=lr))
    ]
    if ref is None or not len(ref) or not framework:
        why = "NumPy diverged at every lr here" if lr is None else "no framework run at NumPy's chosen lr"
        for ax in (ax_acc, ax_diff):
            say(ax, why)
        return fig
    shown, drawn_diff = [], False
    for backend in [grid.NUMPY, *framework]:
        rows = ref if backend == grid.NUMPY else run_epochs(tables, backend, p.batch_size, p.n_train, lr=lr)
        st = BACKEND_STYLE[backend]
        later = rows[rows.epoch > 0]
        curve(ax_acc, later, "epoch", "test_accuracy", color=st["color"], linestyle=st["linestyle"], label=st["label"])
        shown += later.test_accuracy.tolist()
        if backend in grid.FRAMEWORKS:  # the idiomatic runs shuffle by themselves: no rounding comparison
            merged = rows.merge(ref[["seed", "epoch", "train_loss"]], on=["seed", "epoch"], suffixes=("", "_ref"))
            merged["rel"] = (merged.train_loss - merged.train_loss_ref).abs() / merged.train_loss_ref.abs()
            merged.loc[merged.rel <= 0, "rel"] = np.nan  # identical (epoch 0): not drawable on a log axis
            curve(
                ax_diff, merged, "epoch", "rel", color=st["color"], linestyle=st["linestyle"], marker=".", markersize=3
            )
            drawn_diff = drawn_diff or bool(merged.rel.notna().any())
    limits = plateau_range(shown, 0.02)  # the plateau; the first epochs, far below, leave the axis
    if limits:
        ax_acc.set_ylim(*limits)
    ax_acc.set_ylabel("test accuracy (zoomed)")
    ax_acc.set_title(f"(a) test accuracy, lr {lr:g}")
    if drawn_diff:
        ax_diff.set_yscale("log")
        log_axis(ax_diff)
        ax_diff.set_ylabel("$|L_{fw} - L_{np}|\\,/\\,L_{np}$ (log scale)")
        ax_diff.set_title("(b) relative training-loss difference")
    else:
        say(ax_diff, "no framework on NumPy's minibatches")
    for ax in (ax_acc, ax_diff):
        ax.set_xlabel("epoch")
    fig.suptitle(f"B = {p.batch_size:,}, N′ = {p.n_train:,}", fontsize=9)
    fig.legend(*ax_acc.get_legend_handles_labels(), loc="outside lower center", ncol=3, fontsize=7)
    return fig


FIGURES: dict[str, Callable[[dict, dict], Figure]] = {
    "lr_choice": lr_choice_figure,
    "batch_curves": batch_curves_figure,
    "lr_over_b": lr_over_b_figure,
    "step_time": step_time_figure,
    "subset_size": subset_figure,
    "backends": backends_figure,
}


def make_figure(name: str, tables: dict, config: dict) -> Figure:
    """The figure called ``name`` (see :func:`mnist_sgd.report.catalog.figure_names`)."""
    return FIGURES[name](tables, config)


def write_figures(tables: dict, config: dict, out: dict[str, str]) -> None:
    """Draw every figure of ``out`` ({name: path.svg}) with the report's style. ``tables`` holds
    the aggregated tables and, for the step_time figure, ``step_timing`` (rule time_sgd_step)."""
    with plt.rc_context(STYLE):
        for name, path in out.items():
            write_atomically(svg_text(make_figure(name, tables, config), name).encode(), path)

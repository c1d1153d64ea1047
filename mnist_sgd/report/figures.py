"""The report's figures (Matplotlib, SVG), drawn from the aggregated tables only.

Every figure has labelled axes with units and a legend naming B, N' or the backend. With
several seeds a curve is the mean over seeds with a min-max band. A piece of the grid that
is missing (no framework runs, every lr diverged at some B) gives a figure that says so
instead of an error. Which figures a config yields: :mod:`mnist_sgd.report.catalog`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mnist_sgd import grid
from mnist_sgd.atomic import write_atomically
from mnist_sgd.report.batch_figures import batch_figure, lr_sweep_figure, tradeoff_figure
from mnist_sgd.report.catalog import BATCH_FIGURE_PREFIX
from mnist_sgd.report.plotting import (
    BACKEND_STYLE,
    STYLE,
    TEST_COLOR,
    TRAIN_COLOR,
    curve,
    gap_rows,
    log_ticks,
    palette,
    plt,
    say,
    svg_text,
    zoom,
)
from mnist_sgd.report.queries import ZERO_FLOOR, chosen_lr, floor_of, run_epochs, runs_at_lr
from mnist_sgd.stats import accuracy_interval

# ---- the figures -------------------------------------------------------------------


def subset_figure(tables: dict, config: dict) -> Figure:
    """Question 5: final train and test accuracy vs N' (log x) with the least-squares solution's
    accuracies, and the loss curves per N' with each subset's L*."""
    b = config["grid"]["subset_batch_size"]
    sizes = sorted(config["grid"]["subset_sizes"])
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(6.4, 3.3), layout="constrained")
    runs = tables["runs"]
    colors = dict(zip(sizes, palette(len(sizes))))
    acc, missing, zero_floor = [], [], []
    for n in sizes:
        lr = chosen_lr(tables, b, n)
        floor = floor_of(tables, n) or {}
        if lr is None:
            missing.append(n)
        else:
            sel = runs_at_lr(runs, b, n, lr)
            acc.append(
                {
                    "n": n,
                    **{
                        f"{s}_{k}": getattr(sel[f"final_{s}_accuracy"], k)()
                        for s in ("train", "test")
                        for k in ("mean", "min", "max")
                    },
                    "ls_train": floor.get("train_accuracy", np.nan),
                    "ls_test": floor.get("test_accuracy", np.nan),
                }
            )
            rows = gap_rows(run_epochs(tables, grid.NUMPY, b, n, lr=lr), floor.get("floor_loss"))
            curve(ax_loss, rows, "epoch", "gap", color=colors[n], label=f"N' = {n:,} (lr {lr:g})")
        fl = floor.get("floor_loss")
        if fl is not None and fl < ZERO_FLOOR:
            zero_floor.append(n)
    n_test = config["data"].get("n_test", 10000)
    if acc:
        a = pd.DataFrame(acc)
        for s, color, style in (("train", TRAIN_COLOR, "-"), ("test", TEST_COLOR, "--")):
            # 95 % Wilson interval over the evaluated images (N' training or the test images)
            ci = np.array(
                [accuracy_interval(m, int(nn) if s == "train" else n_test) for m, nn in zip(a[f"{s}_mean"], a.n)]
            )
            ax_acc.errorbar(
                a.n,
                a[f"{s}_mean"],
                yerr=[a[f"{s}_mean"] - ci[:, 0], ci[:, 1] - a[f"{s}_mean"]],
                color=color,
                linestyle=style,
                marker="o",
                markersize=3.5,
                capsize=2,
                label=f"SGD, {s} (95 % interval)",
            )
        ax_acc.plot(
            a.n,
            a.ls_train,
            color=TRAIN_COLOR,
            linestyle="none",
            marker="s",
            markersize=4,
            markerfacecolor="none",
            label="least squares $W^*$, train",
        )
        ax_acc.plot(
            a.n,
            a.ls_test,
            color=TEST_COLOR,
            linestyle="none",
            marker="D",
            markersize=4,
            markerfacecolor="none",
            label="least squares $W^*$, test",
        )
        ax_acc.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=2)
    else:
        say(ax_acc, "every lr diverged at every N'")
    ax_acc.set_xscale("log")
    ax_acc.set_xlabel("training-set size N' (log scale)")
    ax_acc.set_ylim(top=1.01)
    ax_acc.set_ylabel("final accuracy (fraction correct)")
    ax_acc.set_title(f"accuracy vs N' (B = {b})")
    ax_loss.set_yscale("log")
    log_ticks(ax_loss)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("$L - L^*$ (log scale)")
    ax_loss.set_title("training loss above each subset's $L^*$")
    notes = []
    if missing:
        notes.append("every lr diverged: N' = " + ", ".join(map(str, missing)))
    if zero_floor:
        notes.append("$L^*$ = 0 (so $L - L^*$ = $L$) for N' = " + ", ".join(f"{x:,}" for x in zero_floor))
    if acc:
        ax_loss.legend(
            title="\n".join(notes) or None,
            title_fontsize=6.5,
            fontsize=6.5,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.25),
            ncol=2,
        )
    return fig


def backends_figure(tables: dict, config: dict) -> Figure:
    """Question 6: NumPy and the frameworks at the comparison point and NumPy's chosen lr:
    training loss and test accuracy vs epoch overlaid (the idiomatic runs with their own
    shuffling too), and |L_fw - L_np| / L_np per epoch (log y) of the frameworks that
    follow NumPy's minibatches."""
    p = grid.comparison_point(config)
    fig, (ax_loss, ax_acc, ax_diff) = plt.subplots(1, 3, figsize=(6.6, 3.0), layout="constrained")
    lr = chosen_lr(tables, p.batch_size, p.n_train)
    ref = run_epochs(tables, grid.NUMPY, p.batch_size, p.n_train, lr=lr) if lr is not None else None
    framework = [
        b
        for b in config["frameworks"]["backends"]
        if lr is not None and len(run_epochs(tables, b, p.batch_size, p.n_train, lr=lr))
    ]
    if ref is None or not len(ref) or not framework:
        why = "NumPy diverged at every lr at this point" if lr is None else "no framework run at NumPy's chosen lr"
        for ax in (ax_loss, ax_acc, ax_diff):
            say(ax, why)
        return fig
    fig.suptitle(f"B = {p.batch_size:,}, N' = {p.n_train:,}, lr = {lr:g} (NumPy's choice)", fontsize=9)
    for backend in [grid.NUMPY, *framework]:
        rows = ref if backend == grid.NUMPY else run_epochs(tables, backend, p.batch_size, p.n_train, lr=lr)
        st = BACKEND_STYLE[backend]
        curve(ax_loss, rows, "epoch", "train_loss", color=st["color"], linestyle=st["linestyle"], label=st["label"])
        curve(ax_acc, rows, "epoch", "test_accuracy", color=st["color"], linestyle=st["linestyle"], label=st["label"])
        if backend in grid.FRAMEWORKS:  # the idiomatic runs shuffle by themselves: no rounding comparison
            merged = rows.merge(ref[["seed", "epoch", "train_loss"]], on=["seed", "epoch"], suffixes=("", "_ref"))
            merged["rel"] = (merged.train_loss - merged.train_loss_ref).abs() / merged.train_loss_ref.abs()
            merged.loc[merged.rel <= 0, "rel"] = np.nan  # identical (epoch 0): not drawable on a log axis
            curve(
                ax_diff,
                merged,
                "epoch",
                "rel",
                color=st["color"],
                linestyle=st["linestyle"],
                marker=".",
                label=st["label"],
            )
    ax_loss.set_yscale("log")
    log_ticks(ax_loss)
    ax_loss.set_ylabel("training loss $L$ (log scale)")
    ax_acc.set_ylabel("test accuracy (zoomed)")
    epochs = tables["epochs"]
    later = epochs[(epochs.batch_size == p.batch_size) & (epochs.n_train == p.n_train) & (epochs.epoch > 0)]
    ax_acc.set_xlim(left=0.5)
    zoom(ax_acc, later[np.isclose(later.lr, lr)].test_accuracy.to_numpy())
    ax_diff.set_yscale("log")
    ax_diff.set_ylabel("$|L_{fw} - L_{np}|\\,/\\,L_{np}$ (log scale)")
    ax_loss.set_title("training loss")
    ax_acc.set_title("test accuracy")
    ax_diff.set_title("relative loss difference")
    for ax in (ax_loss, ax_acc, ax_diff):
        ax.set_xlabel("epoch")
    handles, labels = ax_loss.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7)  # below: the curves overlap
    return fig


FIGURES: dict[str, Callable[[dict, dict], Figure]] = {
    "batch_tradeoff": tradeoff_figure,
    "lr_sweep": lr_sweep_figure,
    "subset_size": subset_figure,
    "backends": backends_figure,
}


def make_figure(name: str, tables: dict, config: dict) -> Figure:
    """The figure called ``name`` (see :func:`figure_names`)."""
    if name.startswith(BATCH_FIGURE_PREFIX):
        return batch_figure(tables, config, int(name.removeprefix(BATCH_FIGURE_PREFIX)))
    return FIGURES[name](tables, config)


def write_figures(tables: dict, config: dict, out: dict[str, str]) -> None:
    """Draw every figure of ``out`` ({name: path.svg}) with the report's style."""
    with plt.rc_context(STYLE):
        for name, path in out.items():
            write_atomically(svg_text(make_figure(name, tables, config), name).encode(), path)

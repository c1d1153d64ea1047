"""The figures of question 3 (batch size): per-B loss and accuracy, the time trade-off, the lr sweep.

They follow the conventions stated in :mod:`mnist_sgd.report.figures`.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from mnist_sgd import grid
from mnist_sgd.report.plotting import (
    TEST_COLOR,
    TRAIN_COLOR,
    curve,
    floor_line,
    log_ticks,
    palette,
    plt,
    say,
)
from mnist_sgd.report.queries import chosen_lr, floor_of, point_runs, run_epochs, runs_at_lr

# ---- the figures -------------------------------------------------------------------


def batch_figure(tables: dict, config: dict, batch: int) -> Figure:
    """Question 3 at one B: training loss vs epoch (every lr that did not diverge, the chosen one
    bold, L* as a line, log y) and train/test accuracy vs epoch at the chosen lr."""
    n = config["data"]["n_train"]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, layout="constrained")
    lr = chosen_lr(tables, batch, n)
    runs = tables["runs"]
    point = point_runs(runs, batch, n)
    diverged = sorted(point[point.diverged].lr.unique())
    fig.suptitle(f"B = {batch}, N' = {n}" + (f", chosen lr = {lr:g}" if lr is not None else ""), fontsize=9)
    if lr is None:
        msg = (
            f"Every learning rate diverged at B = {batch}\n("
            + ", ".join(f"{x:g}" for x in diverged)
            + "): no curve to show."
        )
        say(ax_loss, msg)
        say(ax_acc, msg)
        return fig
    ok_lrs = sorted(point[~point.diverged].lr.unique())
    colors = dict(zip(ok_lrs, palette(len(ok_lrs))))
    for x in ok_lrs:
        chosen = math.isclose(x, lr)
        curve(
            ax_loss,
            run_epochs(tables, grid.NUMPY, batch, n, lr=x),
            "epoch",
            "train_loss",
            color=colors[x],
            linewidth=2.0 if chosen else 1.0,
            label=f"lr = {x:g}" + (" (chosen)" if chosen else ""),
        )
    note = floor_line(ax_loss, (floor_of(tables, n) or {}).get("floor_loss"))
    ax_loss.set_yscale("log")
    log_ticks(ax_loss)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss $L$ (log scale)")
    ax_loss.set_title("training loss")
    title = ("diverged: lr = " + ", ".join(f"{x:g}" for x in diverged)) if diverged else None
    if note:
        title = f"{title}\n{note}" if title else note
    # below the panel: noisy curves at large lr fill the whole plot area
    ax_loss.legend(title=title, title_fontsize=7, fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=2)
    rows = run_epochs(tables, grid.NUMPY, batch, n, lr=lr)
    curve(ax_acc, rows, "epoch", "train_accuracy", color=TRAIN_COLOR, label="train")
    curve(ax_acc, rows, "epoch", "test_accuracy", color=TEST_COLOR, linestyle="--", label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (fraction correct)")
    ax_acc.set_title(f"accuracy at lr = {lr:g}")
    ax_acc.legend(loc="lower right")
    return fig


def tradeoff_figure(tables: dict, config: dict) -> Figure:
    """Batch-size trade-off at the chosen lrs: loss vs number of updates, loss vs training
    wall-seconds (both log-log), and training seconds per B (bars, min-max over seeds)."""
    n = config["data"]["n_train"]
    batches = config["grid"]["batch_sizes"]
    fig, (ax_u, ax_t, ax_bar) = plt.subplots(
        1, 3, figsize=(6.6, 2.6), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 0.8]}
    )
    colors = dict(zip(batches, palette(len(batches))))
    bars, missing = [], []
    for b in batches:
        lr = chosen_lr(tables, b, n)
        if lr is None:
            missing.append(b)
            continue
        rows = run_epochs(tables, grid.NUMPY, b, n, lr=lr).copy()
        rows = rows[rows.epoch > 0]
        rows["wall"] = rows.groupby("seed").train_seconds.cumsum()
        label = f"B = {b} (lr {lr:g})"
        curve(ax_u, rows, "updates", "train_loss", color=colors[b], marker=".", label=label)
        curve(
            ax_t,
            rows.assign(wall=rows.groupby("epoch").wall.transform("mean")),
            "wall",
            "train_loss",
            color=colors[b],
            marker=".",
            label=label,
        )
        runs = tables["runs"]
        secs = runs_at_lr(runs, b, n, lr).train_seconds
        bars.append((b, secs.mean(), secs.min(), secs.max()))
    for ax, xlabel in ((ax_u, "number of updates (log scale)"), (ax_t, "training time (s, log scale)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        log_ticks(ax, "y")
        if ax is ax_t:
            log_ticks(ax, "x")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("training loss $L$ (log scale)")
    ax_u.set_title("loss vs updates")
    ax_t.set_title("loss vs wall-clock time")
    if bars:
        ax_u.legend(
            title="every lr diverged: B = " + ", ".join(map(str, missing)) if missing else None,
            title_fontsize=7,
            loc="upper right",
        )
        xs = np.arange(len(bars))
        means = np.array([m for _, m, _, _ in bars])
        err = np.array([[m - lo for _, m, lo, _ in bars], [hi - m for _, m, _, hi in bars]])
        ax_bar.bar(xs, means, yerr=err if np.any(err > 0) else None, color=[colors[b] for b, *_ in bars], capsize=2)
        for x, m in zip(xs, means):
            ax_bar.annotate(
                f"{m:.3g} s", (x, m), ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points"
            )
        ax_bar.set_xticks(xs, [str(b) for b, *_ in bars])
        ax_bar.set_xlabel("batch size B")
        ax_bar.set_ylim(0, 1.18 * float(np.max(means + err[1])))
        ax_bar.set_ylabel("training time (s)")
        ax_bar.set_title(f"time for {config['training']['epochs']} epochs")
        ax_bar.grid(axis="x", visible=False)
    else:
        for ax in (ax_u, ax_t, ax_bar):
            say(ax, "every lr diverged\nat every B")
    return fig


def lr_sweep_figure(tables: dict, config: dict) -> Figure:
    """Final validation accuracy vs lr (log x) for each B; diverged runs as an x on the axis."""
    n = config["data"]["n_train"]
    batches = config["grid"]["batch_sizes"]
    fig, ax = plt.subplots(figsize=(6.4, 2.8), layout="constrained")
    runs = tables["runs"]
    colors = dict(zip(batches, palette(len(batches))))
    bottom = blended_transform_factory(ax.transData, ax.transAxes)
    any_diverged = False
    for i, b in enumerate(batches):
        pt = point_runs(runs, b, n)
        ok = pt[~pt.diverged].groupby("lr").final_val_accuracy.agg(["mean", "min", "max"]).reset_index()
        lr = chosen_lr(tables, b, n)
        label = f"B = {b}" + (f" (chosen lr {lr:g})" if lr is not None else " (every lr diverged)")
        ax.errorbar(
            ok.lr,
            ok["mean"],
            yerr=[ok["mean"] - ok["min"], ok["max"] - ok["mean"]],
            color=colors[b],
            marker="o",
            markersize=3.5,
            capsize=2,
            label=label,
        )
        if lr is not None:
            best = ok[np.isclose(ok.lr, lr)]
            ax.plot(
                best.lr,
                best["mean"],
                marker="o",
                markersize=8,
                markerfacecolor="none",
                color=colors[b],
                linestyle="none",
            )
        div = sorted(pt[pt.diverged].lr.unique())
        if div:
            any_diverged = True
            # one row of x per B at the bottom of the axes, so markers of different B do not overlap
            ax.plot(
                div,
                [0.03 + 0.045 * i] * len(div),
                marker="x",
                markersize=6,
                linestyle="none",
                color=colors[b],
                transform=bottom,
                clip_on=False,
            )
    handles, labels = ax.get_legend_handles_labels()
    if any_diverged:
        handles.append(Line2D([], [], color="#444444", marker="x", linestyle="none"))
        labels.append("diverged (bottom row per B)")
    ax.set_xscale("log")
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel("final validation accuracy")
    ax.set_title(f"learning-rate sweep, N' = {n}; circled: chosen")
    ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig

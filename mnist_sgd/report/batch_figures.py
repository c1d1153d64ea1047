"""The figures of question 3 (batch size): per-B loss and accuracy, the time trade-off, the lr sweep.

They follow the conventions stated in :mod:`mnist_sgd.report.figures`.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mnist_sgd import grid
from mnist_sgd.report.brackets import bracket
from mnist_sgd.report.plotting import (
    TEST_COLOR,
    TRAIN_COLOR,
    VAL_COLOR,
    curve,
    gap_rows,
    log_ticks,
    palette,
    plt,
    say,
    zoom,
)
from mnist_sgd.report.queries import chosen_lr, floor_of, point_runs, run_epochs, runs_at_lr
from mnist_sgd.stats import accuracy_interval

# ---- the figures -------------------------------------------------------------------


def batch_figure(tables: dict, config: dict, batch: int) -> Figure:
    """Question 3 at one B: L − L* per epoch (log y) for every lr that did not diverge (the chosen
    one bold), and train/validation/test accuracy per epoch at the chosen lr on a zoomed axis."""
    n = config["data"]["n_train"]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, layout="constrained")
    lr = chosen_lr(tables, batch, n)
    runs = tables["runs"]
    point = point_runs(runs, batch, n)
    diverged = sorted(point[point.diverged].lr.unique())
    fig.suptitle(f"B = {batch:,}, N' = {n:,}" + (f", chosen lr = {lr:g}" if lr is not None else ""), fontsize=9)
    if lr is None:
        msg = (
            f"Every learning rate diverged at B = {batch:,}\n("
            + ", ".join(f"{x:g}" for x in diverged)
            + "): no curve to show."
        )
        say(ax_loss, msg)
        say(ax_acc, msg)
        return fig
    floor = (floor_of(tables, n) or {}).get("floor_loss")
    ok_lrs = sorted(point[~point.diverged].lr.unique())
    colors = dict(zip(ok_lrs, palette(len(ok_lrs))))
    for x in ok_lrs:
        chosen = math.isclose(x, lr)
        curve(
            ax_loss,
            gap_rows(run_epochs(tables, grid.NUMPY, batch, n, lr=x), floor),
            "epoch",
            "gap",
            color=colors[x],
            linewidth=2.0 if chosen else 1.0,
            label=f"lr = {x:g}" + (" (chosen)" if chosen else ""),
        )
    ax_loss.set_yscale("log")
    log_ticks(ax_loss)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("$L - L^*$ (log scale)")
    ax_loss.set_title("training loss above the floor $L^*$")
    title = ("diverged: lr = " + ", ".join(f"{x:g}" for x in diverged)) if diverged else None
    ax_loss.legend(title=title, title_fontsize=7, fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)
    rows = run_epochs(tables, grid.NUMPY, batch, n, lr=lr)
    rows = rows[rows.epoch > 0]  # epoch 0 (zero weights, ~10 %) would flatten the zoomed axis
    for col, color, style, label in (
        ("train_accuracy", TRAIN_COLOR, "-", "train"),
        ("val_accuracy", VAL_COLOR, "-.", "validation"),
        ("test_accuracy", TEST_COLOR, "--", "test"),
    ):
        curve(ax_acc, rows, "epoch", col, color=color, linestyle=style, label=label)
    zoom(ax_acc, rows[["train_accuracy", "val_accuracy", "test_accuracy"]].to_numpy())
    ax_acc.set_xlabel("epoch (from epoch 1)")
    ax_acc.set_ylabel("accuracy (fraction correct)")
    ax_acc.set_title(f"accuracy at lr = {lr:g} (zoomed)")
    ax_acc.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.3), ncol=3)
    return fig


def tradeoff_figure(tables: dict, config: dict) -> Figure:
    """Batch-size trade-off at the chosen lrs: loss vs number of updates, loss vs training
    wall-seconds (both log-log), and training seconds per B (bars, min-max over seeds)."""
    n = config["data"]["n_train"]
    batches = config["grid"]["batch_sizes"]
    fig, (ax_u, ax_t, ax_bar) = plt.subplots(
        1, 3, figsize=(6.6, 2.9), layout="constrained", gridspec_kw={"width_ratios": [1, 1, 0.8]}
    )
    colors = dict(zip(batches, palette(len(batches))))
    bars, missing = [], []
    for b in batches:
        lr = chosen_lr(tables, b, n)
        if lr is None:
            missing.append(b)
            continue
        rows = gap_rows(run_epochs(tables, grid.NUMPY, b, n, lr=lr), (floor_of(tables, n) or {}).get("floor_loss"))
        rows = rows[rows.epoch > 0]
        rows["wall"] = rows.groupby("seed").train_seconds.cumsum()
        label = f"B = {b} (lr {lr:g})"
        curve(ax_u, rows, "updates", "gap", color=colors[b], marker=".", markersize=3, label=label)
        curve(
            ax_t,
            rows.assign(wall=rows.groupby("epoch").wall.transform("mean")),
            "wall",
            "gap",
            color=colors[b],
            marker=".",
            markersize=3,
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
        ax.set_ylabel("$L - L^*$ (log scale)")
    ax_u.set_title("loss above $L^*$ vs updates")
    ax_t.set_title("loss above $L^*$ vs time")
    if bars:
        fig.legend(
            *ax_u.get_legend_handles_labels(),
            title="every lr diverged: B = " + ", ".join(map(str, missing)) if missing else None,
            title_fontsize=7,
            loc="outside lower center",
            ncol=4,
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
    """Final validation accuracy vs lr (log x) per B with 95 % Wilson intervals, on a zoomed axis;
    the chosen lr circled with its final bracket (the tried lrs next to it) as a horizontal bar;
    diverged lrs as crosses in a separate strip below, one row per B."""
    n = config["data"]["n_train"]
    n_val = config["data"]["n_val"]
    batches = config["grid"]["batch_sizes"]
    fig, (ax, strip) = plt.subplots(
        2, 1, figsize=(6.4, 3.6), layout="constrained", sharex=True, gridspec_kw={"height_ratios": [5, 1]}
    )
    runs = tables["runs"]
    colors = dict(zip(batches, palette(len(batches))))
    handles, labels, shown = [], [], []
    for i, b in enumerate(batches):
        pt = point_runs(runs, b, n)
        ok = pt[~pt.diverged].groupby("lr").final_val_accuracy.mean().reset_index()
        lr = chosen_lr(tables, b, n)
        if len(ok):
            ci = np.array([accuracy_interval(a, n_val) for a in ok.final_val_accuracy])
            yerr = [ok.final_val_accuracy - ci[:, 0], ci[:, 1] - ok.final_val_accuracy]
            h = ax.errorbar(
                ok.lr, ok.final_val_accuracy, yerr=yerr, color=colors[b], marker="o", markersize=3.5, capsize=2
            )
            shown += ok.final_val_accuracy.tolist()
            handles.append(h)
            labels.append(f"B = {b:,}" + (f" (chosen lr {lr:g})" if lr is not None else ""))
        if lr is not None:
            best = ok[np.isclose(ok.lr, lr)]
            y = float(best.final_val_accuracy.iloc[0])
            ax.plot([lr], [y], marker="o", markersize=9, markerfacecolor="none", color=colors[b], linestyle="none")
            br = bracket(tables, b, n)
            if br:
                lo = br["below"] if br["below"] is not None else lr
                hi = br["above"] if br["above"] is not None else lr
                ax.plot([lo, hi], [y, y], color=colors[b], linewidth=4, alpha=0.35, solid_capstyle="butt")
        div = sorted(pt[pt.diverged].lr.unique())
        if div:
            strip.plot(div, [i] * len(div), marker="x", markersize=6, linestyle="none", color=colors[b])
    zoom(ax, shown, pad=0.25)
    if any(bracket(tables, b, n) for b in batches):
        handles.append(Line2D([], [], color="#777777", linewidth=4, alpha=0.35))
        labels.append("final bracket of the chosen lr")
    handles.append(Line2D([], [], color="#444444", marker="o", markersize=9, markerfacecolor="none", linestyle="none"))
    labels.append("chosen lr")
    ax.set_xscale("log")
    ax.set_ylabel("final validation accuracy")
    ax.set_title(f"validation accuracy per learning rate, N' = {n:,}")
    ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.01, 0.5))
    strip.set_yticks(range(len(batches)), [f"B = {b:,}" for b in batches], fontsize=6.5)
    strip.set_ylim(-0.7, len(batches) - 0.3)
    strip.set_ylabel("diverged", fontsize=7.5)
    strip.grid(axis="y", visible=False)
    strip.set_xlabel("learning rate (log scale)")
    return fig

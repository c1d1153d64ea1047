"""The figures of questions 3 and 4 (batch size): the lr choice, the curves at the chosen lrs,
the final loss against lr/B, and the time per epoch of the textbook step and the compiled kernel.

They follow the conventions stated in :mod:`mnist_sgd.report.figures`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mnist_sgd import grid
from mnist_sgd.report.plotting import (
    curve,
    gap_rows,
    log_axis,
    mark_off_axis,
    plateau_range,
    plt,
    say,
    sci,
    styles,
    value_axis,
)
from mnist_sgd.report.queries import chosen_lr, floor_of, full_set_curvature, point_runs, run_epochs

#: How far below the best validation accuracy (fraction) the zoomed axes still reach: 2 pp.
ACCURACY_WINDOW = 0.02
#: How far above the lowest validation loss the tie-break panel reaches.
LOSS_WINDOW = 0.015
#: The accuracy drawn per epoch in batch_curves: the set the lr was chosen on.
CURVE_ACCURACY = ("val_accuracy", "validation accuracy")


def _diverged_strip(strip, rows: list[tuple[int, list[float]]], style: dict) -> None:
    """Crosses at the diverged lrs, one row per B."""
    for i, (b, lrs) in enumerate(rows):
        if lrs:
            strip.plot(lrs, [i] * len(lrs), marker="x", markersize=5, linestyle="none", color=style[b]["color"])
    strip.set_yticks(range(len(rows)), [f"B = {b:,}" for b, _ in rows], fontsize=6.5)
    strip.set_ylim(-0.7, len(rows) - 0.3)
    strip.set_ylabel("diverged", fontsize=7.5)
    strip.grid(axis="y", visible=False)


def lr_choice_points(tables: dict, config: dict) -> pd.DataFrame:
    """Every lr tried at every B on the full set: diverged and chosen flags, the selection
    criterion's value ``score`` (lr_search.criterion averaged over the last lr_search.last_epochs
    epochs of each run, then over the search's seeds, as :mod:`mnist_sgd.train.lr_choice` scores it: the
    lr_choice table's ``score``, or recomputed from the epochs table where the table lacks it),
    its standard error ``se`` (NaN if not recorded) and the mean final validation loss that breaks
    ties (NaN where the lr diverged)."""
    n = config["data"]["n_train"]
    criterion, last = config["lr_search"]["criterion"], config["lr_search"]["last_epochs"]
    lc = tables["lr_choice"]
    lc = lc[(lc.backend == grid.NUMPY) & (lc.n_train == n) & lc.batch_size.isin(config["grid"]["batch_sizes"])]
    e = tables["epochs"]
    # the seeds the search trained on: the others ran the chosen lr only
    e = e[(e.backend == grid.NUMPY) & (e.n_train == n) & (e.epoch > 0) & e.seed.isin(grid.search_seeds(config))]
    runs = e.sort_values("epoch").groupby(["batch_size", "lr", "seed"])[criterion]
    per_run = runs.apply(lambda v: v.iloc[-last:].mean()).reset_index()
    score = per_run.groupby(["batch_size", "lr"])[criterion].mean()
    out = []
    for r in lc.sort_values(["batch_size", "lr"]).itertuples():
        match = [k for k in score.index if k[0] == r.batch_size and np.isclose(k[1], r.lr)]
        recorded = getattr(r, "score", np.nan)
        value = recorded if pd.notna(recorded) else (float(score[match[0]]) if match else np.nan)
        out.append(
            {
                "batch_size": int(r.batch_size),
                "lr": float(r.lr),
                "diverged": bool(r.diverged),
                "chosen": bool(r.chosen),
                "score": np.nan if r.diverged else float(value),
                "se": np.nan if r.diverged else float(getattr(r, "se", np.nan)),
                "tie_loss": np.nan if r.diverged else float(r.mean_val_loss),
            }
        )
    return pd.DataFrame(out, columns=["batch_size", "lr", "diverged", "chosen", "score", "se", "tie_loss"])


def lr_choice_figure(tables: dict, config: dict) -> Figure:
    """Per B on the full training set: the lr-selection criterion (validation accuracy averaged over
    the last epochs and the seeds) against lr, the chosen lr circled, on an axis zoomed to the
    plateau of the good lrs (a far-off value: a triangle on the edge with its value); below, the
    final validation loss that breaks ties; at the bottom, the diverged lrs as crosses."""
    n = config["data"]["n_train"]
    batches = config["grid"]["batch_sizes"]
    criterion, last = config["lr_search"]["criterion"], config["lr_search"]["last_epochs"]
    higher = criterion == "val_accuracy"
    pts = lr_choice_points(tables, config)
    fig, (ax, ax_loss, strip) = plt.subplots(
        3, 1, figsize=(6.4, 4.3), layout="constrained", sharex=True, gridspec_kw={"height_ratios": [4, 2.2, 1]}
    )
    style = styles(batches)
    ok_all = pts[~pts.diverged]
    if not len(ok_all):
        for a in (ax, ax_loss):
            say(a, "every learning rate diverged at every B" if len(pts) else "no learning rate was tried")
    panels = (
        (ax, "score", plateau_range(ok_all.score, ACCURACY_WINDOW if higher else LOSS_WINDOW, higher)),
        (ax_loss, "tie_loss", plateau_range(ok_all.tie_loss, LOSS_WINDOW, higher_is_better=False)),
    )
    diverged, tied = [], False
    for b in batches:
        pt = pts[pts.batch_size == b]
        ok = pt[~pt.diverged]
        diverged.append((b, pt[pt.diverged].lr.tolist()))
        st = style[b]
        lr = chosen_lr(tables, b, n)
        label = f"B = {b:,}" + (f", chosen lr {sci(lr)}" if lr is not None else ", every lr diverged")
        for a, col, _ in panels:
            a.plot(
                ok.lr,
                ok[col],
                color=st["color"],
                linestyle=st["linestyle"],
                marker=st["marker"],
                markersize=3.5,
                label=label if a is ax else None,
            )
            if a is ax and len(ok) and ok.se.notna().any():  # candidates above this line tie with the best
                top = ok.loc[ok.score.idxmax() if higher else ok.score.idxmin()]
                tie = top.score - top.se if higher else top.score + top.se
                near = ok[ok.score >= tie] if higher else ok[ok.score <= tie]  # the tied lrs, and a little more
                a.hlines(
                    tie,
                    near.lr.min() / 1.6,
                    near.lr.max() * 1.6,
                    color=st["color"],
                    linestyle=(0, (1, 1.5)),
                    linewidth=1.2,
                )
                tied = True
            c = ok[ok.chosen]
            a.plot(
                c.lr,
                c[col],
                marker="o",
                markersize=10,
                markerfacecolor="none",
                color=st["color"],
                markeredgewidth=1.3,
                linestyle="none",
            )
    off = 0
    for a, col, limits in panels:
        if limits:
            a.set_ylim(*limits)
        for i, b in enumerate(batches):
            ok = ok_all[ok_all.batch_size == b]
            off += mark_off_axis(a, ok.lr, ok[col], style[b]["color"], level=i)
    ax.set_xscale("log")
    what = "validation accuracy" if higher else "validation loss"
    ax.set_ylabel(f"{what}, mean of the\nlast {last} epochs (criterion)", fontsize=7.5)
    ax.set_title(f"the learning-rate choice on the validation set, N′ = {n:,}")
    ax_loss.set_ylabel("final validation\nloss (tie-break)", fontsize=7.5)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#444444", marker="o", markersize=9, markerfacecolor="none", linestyle="none"))
    labels.append("chosen lr")
    if tied:
        handles.append(Line2D([], [], color="#444444", linestyle=(0, (1, 1.5)), linewidth=1.2))
        labels.append("best − one standard error" if higher else "best + one standard error")
    if off:
        handles.append(Line2D([], [], color="#444444", marker="v", markersize=5, linestyle="none"))
        labels.append("off the axis (value written)")
    ax.legend(handles, labels, loc="center left", bbox_to_anchor=(1.01, 0.5))
    _diverged_strip(strip, diverged, style)
    strip.set_xlabel("learning rate (log scale)")
    log_axis(strip, "x", thirds=True)
    return fig


def batch_curves_figure(tables: dict, config: dict) -> Figure:
    """At the chosen lr of every B on the full set: (a) training loss above L* per epoch (log y),
    labelled with B, lr and lr/B; (b) validation accuracy per epoch from epoch 1, zoomed."""
    n = config["data"]["n_train"]
    batches = config["grid"]["batch_sizes"]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(6.6, 3.1), layout="constrained")
    style = styles(batches)
    floor = (floor_of(tables, n) or {}).get("floor_loss")
    shown, missing = [], []
    epochs = config["training"]["epochs"]
    col, name = CURVE_ACCURACY
    for i, b in enumerate(batches):
        lr = chosen_lr(tables, b, n)
        if lr is None:
            missing.append(b)
            continue
        rows = run_epochs(tables, grid.NUMPY, b, n, lr=lr)
        st = style[b] | {"markevery": (i * max(1, epochs // 40), max(1, epochs // 10)), "markersize": 3.5}
        label = f"B = {b:,}, lr {sci(lr)}, lr/B {sci(lr / b)}"
        curve(ax_loss, gap_rows(rows[rows.epoch > 0], floor), "epoch", "gap", label=label, **st)
        later = rows[rows.epoch > 0]
        curve(ax_acc, later, "epoch", col, **st)
        shown += later[col].tolist()
    if not shown:
        for ax in (ax_loss, ax_acc):
            say(ax, "every learning rate diverged at every B")
        return fig
    ax_loss.set_yscale("log")
    log_axis(ax_loss)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("$L - L^*$ (log scale)")
    ax_loss.set_title("(a) training loss above the floor $L^*$")
    limits = plateau_range(shown, ACCURACY_WINDOW)  # the first epochs, far below, leave the axis
    ax_acc.set_ylim(*limits)
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel(f"{name} (zoomed)")
    ax_acc.set_title(f"(b) {name}")
    title = ("every lr diverged: B = " + ", ".join(f"{b:,}" for b in missing)) if missing else None
    fig.legend(
        *ax_loss.get_legend_handles_labels(),
        title=title,
        title_fontsize=7,
        loc="outside lower center",
        ncol=2,
        fontsize=7,
    )
    return fig


def lr_over_b_points(tables: dict, config: dict) -> pd.DataFrame:
    """Every lr that did not diverge at every B on the full set: lr/B and the final training loss
    above L* (mean, min and max over seeds), and whether it is the chosen lr."""
    n = config["data"]["n_train"]
    runs = tables["runs"]
    floor = (floor_of(tables, n) or {}).get("floor_loss")
    out = []
    for b in config["grid"]["batch_sizes"]:
        pt = point_runs(runs, b, n)
        pt = pt[~pt.diverged.astype(bool)]
        if not len(pt):
            continue
        gap = pt.final_train_loss - (floor if floor is not None and np.isfinite(floor) else 0.0)
        g = pt.assign(gap=gap).groupby("lr").gap.agg(["mean", "min", "max"]).reset_index()
        lr = chosen_lr(tables, b, n)
        for r in g.itertuples():
            out.append(
                {
                    "batch_size": b,
                    "lr": r.lr,
                    "lr_over_b": r.lr / b,
                    "gap": r.mean,
                    "gap_min": r.min,
                    "gap_max": r.max,
                    "chosen": lr is not None and bool(np.isclose(r.lr, lr)),
                }
            )
    return pd.DataFrame(out, columns=["batch_size", "lr", "lr_over_b", "gap", "gap_min", "gap_max", "chosen"])


def stability_bounds(tables: dict, config: dict) -> dict[int, float]:
    """The lr above which SGD is unstable on the full set, per B: 2/λmax (gradient descent's bound,
    λmax of X^T X / n) for B > 1, and for B = 1 2/mean ‖x_i‖² (one example's curvature), where
    the floors table records them."""
    n = config["data"]["n_train"]
    floors = tables["floors"]
    curvature = full_set_curvature(floors, n)
    out = {b: curvature["gd_lr_bound"] for b in config["grid"]["batch_sizes"] if b > 1 and curvature}
    if 1 in config["grid"]["batch_sizes"] and "mean_sq_norm" in floors:
        sq = floors[(floors.n_train == n) & floors.mean_sq_norm.notna()].mean_sq_norm
        if len(sq) and sq.mean() > 0:
            out[1] = 2 / float(sq.mean())
    return dict(sorted(out.items()))


def lr_over_b_figure(tables: dict, config: dict) -> Figure:
    """Final training loss above L* against lr/B (log-log) for every run that did not diverge at
    every B on the full set: where lr/B is small the B's share one curve (the same step per
    example); at large lr/B they part, each B rising as its lr nears its stability bound
    (:func:`stability_bounds`, marked at the top)."""
    n = config["data"]["n_train"]
    batches = config["grid"]["batch_sizes"]
    fig, ax = plt.subplots(figsize=(5.0, 3.0), layout="constrained")
    pts = lr_over_b_points(tables, config)
    pts = pts[pts.gap > 0]
    if not len(pts):
        say(ax, "no run that did not diverge")
        return fig
    style = styles(batches)
    seeds = tables["runs"].seed.nunique() > 1
    for b in batches:
        p = pts[pts.batch_size == b]
        if not len(p):
            continue
        st = style[b]
        yerr = [p.gap - p.gap_min, p.gap_max - p.gap] if seeds else None
        ax.errorbar(
            p.lr_over_b,
            p.gap,
            yerr=yerr,
            color=st["color"],
            linestyle=st["linestyle"],
            marker=st["marker"],
            markersize=4,
            linewidth=1.0,
            capsize=2,
            label=f"B = {b:,}",
        )
        c = p[p.chosen]
        ax.plot(
            c.lr_over_b,
            c.gap,
            marker="o",
            markersize=10,
            markerfacecolor="none",
            color=st["color"],
            markeredgewidth=1.3,
            linestyle="none",
        )
    bounds = stability_bounds(tables, config)
    for b, lr_bound in bounds.items():
        if len(pts[pts.batch_size == b]):
            ax.axvline(lr_bound / b, ymin=0.93, ymax=1.0, color=style[b]["color"], linewidth=2.0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    log_axis(ax, "x", thirds=True)
    log_axis(ax, "y")
    ax.set_xlabel("lr / B: the step per example (log scale)")
    ax.set_ylabel("final $L - L^*$ (log scale)")
    mean = " (mean over seeds, min–max bars)" if seeds else ""
    ax.set_title(f"final training loss above $L^*$, N′ = {n:,}{mean}", fontsize=8.5)
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="#444444", marker="o", markersize=9, markerfacecolor="none", linestyle="none"))
    labels.append("chosen lr")
    if bounds:
        handles.append(Line2D([], [], color="#444444", linewidth=2.0))
        labels.append(
            "stability bound of lr (top)" if 1 in bounds else f"lr = 2/λmax = {max(bounds.values()):.3f} (top)"
        )
    ax.legend(handles, labels, loc="upper left")
    return fig


def kernel_epoch_seconds(tables: dict, config: dict) -> pd.DataFrame:
    """Per B on the full set: the training seconds per epoch of the runs (compiled kernel) that
    did not diverge and trained alone, at every lr (the same arithmetic per epoch): mean, min,
    max and count. A run trained in lockstep with others records a share of its job's time, not
    a time of its own, and is left out."""
    n = config["data"]["n_train"]
    runs = tables["runs"]
    out = []
    for b in config["grid"]["batch_sizes"]:
        pt = point_runs(runs, b, n)
        pt = pt[~pt.diverged.astype(bool) & (pt.epochs_run > 0)]
        if "lockstep_models" in pt:
            pt = pt[pt.lockstep_models == 1]
        if len(pt):
            per_epoch = pt.train_seconds / pt.epochs_run
            out.append(
                {
                    "batch_size": b,
                    "mean": per_epoch.mean(),
                    "min": per_epoch.min(),
                    "max": per_epoch.max(),
                    "runs": len(pt),
                }
            )
    return pd.DataFrame(out, columns=["batch_size", "mean", "min", "max", "runs"])


#: How the step_time figure draws each implementation of rule time_sgd_step.
IMPLEMENTATION_STYLE = {
    "textbook": {"color": "#D55E00", "marker": "o", "label": "textbook NumPy step (textbook.py)"},
    "kernel": {"color": "#0072B2", "marker": "s", "label": "compiled kernel (compiled_kernel.py)"},
}


def step_time_figure(tables: dict, config: dict) -> Figure:
    """(a) Seconds per epoch against B (log-log): the textbook vectorised NumPy step and the compiled
    kernel timed on the same orders (rule time_sgd_step), and the training runs' own seconds per
    epoch (kernel; min-max over every run at that B, identical work); (b) seconds per update and
    per example of both."""
    timing = tables.get("step_timing")
    fig, (ax_epoch, ax_unit) = plt.subplots(1, 2, figsize=(6.6, 2.9), layout="constrained")
    if timing is None or not len(timing):
        for ax in (ax_epoch, ax_unit):
            say(ax, "no timing of the SGD step (rule time_sgd_step)")
        return fig
    n = int(timing.n_train.iloc[0])
    epochs = int(timing.epochs_timed.iloc[0])
    for impl, st in IMPLEMENTATION_STYLE.items():
        t = timing[timing.implementation == impl].sort_values("batch_size")
        if not len(t):
            continue
        ax_epoch.plot(
            t.batch_size,
            t.seconds_per_epoch,
            color=st["color"],
            marker=st["marker"],
            markersize=4,
            label=f"{st['label']}, {epochs} epochs timed",
        )
        ax_unit.plot(
            t.batch_size,
            t.seconds_per_update,
            color=st["color"],
            marker=st["marker"],
            markersize=4,
            label=f"{impl}: per update",
        )
        ax_unit.plot(
            t.batch_size,
            t.seconds_per_example,
            color=st["color"],
            marker=st["marker"],
            markersize=4,
            linestyle="--",
            markerfacecolor="none",
            label=f"{impl}: per example",
        )
    runs = kernel_epoch_seconds(tables, config)
    if len(runs):
        ax_epoch.errorbar(
            runs.batch_size,
            runs["mean"],
            yerr=[(runs["mean"] - runs["min"]).clip(lower=0), (runs["max"] - runs["mean"]).clip(lower=0)],
            color="#009E73",
            marker="D",
            markersize=3.5,
            linestyle=":",
            capsize=3,
            label="training runs alone (kernel), min–max over runs",
        )
    for ax in (ax_epoch, ax_unit):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("batch size B (log scale)")
        value_axis(ax, timing.batch_size)
        log_axis(ax, "y")
    ax_epoch.set_ylabel("seconds per epoch (log scale)")
    ax_epoch.set_title(f"(a) one epoch of {n:,} examples")
    ax_unit.set_ylabel("seconds (log scale)")
    ax_unit.set_title("(b) per update and per example")
    ax_epoch.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=6.5)
    ax_unit.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), fontsize=6.5, ncol=2)
    return fig

"""The report's comments on batch size and training-set size, written from the measured numbers.

Every sentence is chosen by the data: which B was fastest and by what factor, whether larger
batches were faster at all, how far each run ended above the least-squares floor L*, which
learning rates diverged where, whether accuracy rose with N′. Nothing here assumes the usual
outcome; when the numbers contradict it, the text says so.

Inputs are the tables of :mod:`mnist_sgd.report.tables` (``runs``, ``floors``, ``lr_choice``),
read through :mod:`mnist_sgd.report.queries`; numbers are formatted by :mod:`mnist_sgd.report.formats`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from mnist_sgd.report.formats import (
    fmt_acc,
    fmt_duration,
    fmt_factor,
    fmt_loss,
    fmt_lr,
    fmt_pp,
    fmt_seconds,
    join_words,
)
from mnist_sgd.report.queries import ZERO_FLOOR, PointResult, diverged_lrs, point_result, tried_lrs

# ---- question 4: batch size --------------------------------------------------------


def _time_sentences(ok: list[PointResult], epochs: int) -> list[str]:
    by_b = sorted(ok, key=lambda r: r.batch_size)
    small, large = by_b[0], by_b[-1]
    fastest = min(by_b, key=lambda r: r.train_seconds)
    slowest = max(by_b, key=lambda r: r.train_seconds)
    times = ", ".join(f"{fmt_seconds(r.train_seconds)} at B = {r.batch_size}" for r in by_b)
    out = [f"Training time for {epochs} epochs (updates only, evaluation excluded): {times}."]
    ratio = small.train_seconds / large.train_seconds
    if ratio >= 1.1:
        out.append(
            f"The largest batch (B = {large.batch_size}) trained {fmt_factor(ratio)} faster than the "
            f"smallest (B = {small.batch_size})."
        )
    elif ratio <= 1 / 1.1:
        out.append(
            f"Larger batches were not faster here: B = {large.batch_size} took "
            f"{fmt_factor(1 / ratio)} as long as B = {small.batch_size}."
        )
    else:
        out.append(f"B = {small.batch_size} and B = {large.batch_size} took about the same time (ratio {ratio:.2f}).")
    seconds = [r.train_seconds for r in by_b]
    if len(by_b) > 2:
        if all(a > b for a, b in zip(seconds, seconds[1:])):
            out.append("Time fell at every step up in B.")
        elif fastest.batch_size != large.batch_size:
            out.append(
                f"Time did not fall steadily with B: the fastest was B = {fastest.batch_size} "
                f"({fmt_seconds(fastest.train_seconds)}), and B = {large.batch_size} took "
                f"{fmt_seconds(large.train_seconds)}."
            )
    if slowest.batch_size not in (small.batch_size, large.batch_size):
        out.append(f"The slowest was B = {slowest.batch_size}.")
    # per-update cost: what a bigger batch buys
    cost = {r.batch_size: r.train_seconds / r.updates for r in by_b if r.updates > 0}
    if small.batch_size in cost and large.batch_size in cost and large.batch_size > small.batch_size:
        grow = cost[large.batch_size] / cost[small.batch_size]
        factor = large.batch_size / small.batch_size
        out.append(
            f"Per update, B = {large.batch_size} cost {fmt_duration(cost[large.batch_size])} against "
            f"{fmt_duration(cost[small.batch_size])} at B = {small.batch_size}: "
            f"{grow:.3g} times the cost for {factor:g} times the examples"
            + (
                ", so an epoch (fewer, larger updates) is cheaper with the larger batch."
                if grow < factor
                else ", so the larger batch did not make an epoch cheaper."
            )
        )
    return out


def _accuracy_sentences(ok: list[PointResult]) -> list[str]:
    by_b = sorted(ok, key=lambda r: r.batch_size)
    best = max(by_b, key=lambda r: r.test_accuracy)
    worst = min(by_b, key=lambda r: r.test_accuracy)
    spread = best.test_accuracy - worst.test_accuracy
    accs = ", ".join(f"{fmt_acc(r.test_accuracy)} (B = {r.batch_size})" for r in by_b)
    out = [f"Test accuracy at the chosen learning rates: {accs}."]
    if len(by_b) == 1:
        return out
    if spread < 0.005:
        out.append(f"Batch size barely changed accuracy: all within {fmt_pp(spread)}.")
    else:
        out.append(
            f"B = {best.batch_size} was the most accurate and B = {worst.batch_size} the least, {fmt_pp(spread)} apart."
        )
        accs_in_order = [r.test_accuracy for r in by_b]
        if all(a < b for a, b in zip(accs_in_order, accs_in_order[1:])):
            out.append("Accuracy rose with every increase of B.")
        elif all(a > b for a, b in zip(accs_in_order, accs_in_order[1:])):
            out.append("Accuracy fell with every increase of B.")
    return out


def _floor_sentences(ok: list[PointResult], epochs: int) -> list[str]:
    by_b = sorted(ok, key=lambda r: r.batch_size)
    if not all(math.isfinite(r.gap) for r in by_b):
        return []
    floor = by_b[0].floor_loss
    gaps = ", ".join(f"{fmt_loss(r.gap)} (B = {r.batch_size}, {r.updates:.0f} updates)" for r in by_b)
    out = [f"Distance of the final training loss above the least-squares floor L* = {fmt_loss(floor)}: {gaps}."]
    if len(by_b) == 1:
        return out
    closest = min(by_b, key=lambda r: r.gap)
    most_updates = max(by_b, key=lambda r: r.updates)
    if closest.batch_size != most_updates.batch_size:
        out.append(
            f"More updates did not mean a lower loss: B = {most_updates.batch_size} made the most updates "
            f"but B = {closest.batch_size} ended closest to L*."
        )
    else:
        out.append(f"B = {closest.batch_size}, which made the most updates, ended closest to L*.")
    if all(r.gap <= 0.01 * r.floor_loss for r in by_b):
        out.append(f"Every B reached L* to within 1 % in {epochs} epochs.")
    return out


def _lr_sentences(runs: pd.DataFrame, points: list[tuple[int, int]]) -> list[str]:
    """Where the learning rate had to shrink: which lrs diverged at which B, and the choices."""
    out = []
    lrs = sorted({lr for b, n in points for lr in tried_lrs(runs, b, n)})
    div_at = {lr: [b for b, n in points if lr in diverged_lrs(runs, b, n)] for lr in lrs}
    batches = [b for b, _ in points]
    patterns: dict[tuple, list[float]] = {}  # lrs that diverged at the same batch sizes, together
    for lr in lrs:
        if div_at[lr]:
            patterns.setdefault(tuple(div_at[lr]), []).append(lr)
    for where, group in patterns.items():
        rates = "lr = " + join_words([fmt_lr(x) for x in group])
        if len(where) == len(batches):
            out.append(f"{rates} diverged at every B.")
        else:
            stable = [b for b in batches if b not in where]
            out.append(f"{rates} diverged at B = {join_words(list(where))} but not at B = {join_words(stable)}.")
    chosen = {b: point_result(runs, b, n).lr for b, n in points}
    picked = {lr for lr in chosen.values() if lr is not None}
    n_ok = sum(lr is not None for lr in chosen.values())
    if n_ok == 1:
        b = next(b for b in batches if chosen[b] is not None)
        out.append(f"At B = {b}, the only batch size with a stable learning rate, {fmt_lr(chosen[b])} was chosen.")
    elif len(picked) == 1:
        out.append(
            f"The same learning rate, {fmt_lr(picked.pop())}, won on validation accuracy at every B "
            "that had a stable one."
        )
    elif picked:
        out.append(
            "The chosen learning rate depends on B: "
            + ", ".join(f"{fmt_lr(chosen[b])} at B = {b}" for b in batches if chosen[b] is not None)
            + "."
        )
        ok = [(b, chosen[b]) for b in batches if chosen[b] is not None]
        smallest_b_lr, largest_b_lr = ok[0][1], ok[-1][1]
        if smallest_b_lr < largest_b_lr:
            out.append(
                f"It had to shrink for small batches ({fmt_lr(largest_b_lr)} at B = {ok[-1][0]}, "
                f"{fmt_lr(smallest_b_lr)} at B = {ok[0][0]})."
            )
        elif smallest_b_lr > largest_b_lr:
            out.append(
                f"Unusually, the smallest batch took the larger lr ({fmt_lr(smallest_b_lr)} at B = {ok[0][0]}, "
                f"{fmt_lr(largest_b_lr)} at B = {ok[-1][0]})."
            )
    out += _grid_edge_sentences(runs, points, chosen)
    return out


def _grid_edge_sentences(runs: pd.DataFrame, points: list[tuple[int, int]], chosen: dict) -> list[str]:
    """Say where the choice sits on an edge of the lr grid: the best lr may lie outside it."""
    low = [b for b, n in points if chosen[b] is not None and chosen[b] == min(tried_lrs(runs, b, n))]
    high = [b for b, n in points if chosen[b] is not None and chosen[b] == max(tried_lrs(runs, b, n))]
    out = []
    if low:
        out.append(
            f"At B = {join_words(low)} the chosen lr is the smallest one tried: a smaller lr was not tried "
            "and might do better (extend grid.learning_rates downwards to find out)."
        )
    if high:
        out.append(f"At B = {join_words(high)} the chosen lr is the largest one tried: a larger lr might do better.")
    return out


def batch_size_comment(runs: pd.DataFrame, batch_sizes: list[int], n_train: int, epochs: int) -> list[str]:
    """Paragraphs commenting on batch size (question 4), from the NumPy runs on the full set."""
    batch_sizes = sorted(batch_sizes)
    results = [point_result(runs, b, n_train) for b in batch_sizes]
    ok = [r for r in results if r.ok]
    paragraphs = []
    failed = [r.batch_size for r in results if not r.ok]
    if failed:
        paragraphs.append(
            " ".join(
                f"At B = {b} every learning rate tried ({join_words([fmt_lr(x) for x in tried_lrs(runs, b, n_train)])}) "
                "diverged, so it has no training time, curve or accuracy; a smaller lr would be needed."
                for b in failed
            )
        )
    if not ok:
        paragraphs.append("No batch size trained stably with these learning rates, so there is nothing to compare.")
        return paragraphs
    if len(ok) > 1:
        paragraphs.append(" ".join(_time_sentences(ok, epochs)))
    else:
        paragraphs.append(
            f"Only B = {ok[0].batch_size} trained stably ({fmt_seconds(ok[0].train_seconds)} "
            f"for {epochs} epochs), so there is no time to compare it with."
        )
    paragraphs.append(" ".join(_accuracy_sentences(ok) + _floor_sentences(ok, epochs)))
    lr_text = _lr_sentences(runs, [(b, n_train) for b in batch_sizes])
    if lr_text:
        paragraphs.append(" ".join(lr_text))
    return paragraphs


# ---- question 5: training-set size -------------------------------------------------


def subset_size_comment(
    runs: pd.DataFrame,
    floors: pd.DataFrame,
    subset_sizes: list[int],
    batch_size: int,
    epochs: int,
    n_full: int | None = None,
) -> list[str]:
    """Paragraphs commenting on accuracy as a function of N′ at fixed B (question 5)."""
    sizes = sorted(subset_sizes)
    results = [point_result(runs, batch_size, n) for n in sizes]
    ok = [r for r in results if r.ok]
    paragraphs = []
    failed = [r.n_train for r in results if not r.ok]
    if failed:
        paragraphs.append(f"At N′ = {join_words(failed)} every learning rate diverged: no accuracy to report there.")
    if not ok:
        paragraphs.append("No training-set size trained stably, so accuracy cannot be compared across N′.")
        return paragraphs
    accs = ", ".join(f"{fmt_acc(r.test_accuracy)} at N′ = {r.n_train}" for r in ok)
    text = [f"Test accuracy at B = {batch_size}: {accs}."]
    test = [r.test_accuracy for r in ok]
    if len(ok) > 1:
        first, last = ok[0], ok[-1]
        if all(a < b for a, b in zip(test, test[1:])):
            text.append(
                f"It rose with every increase of N′, by {fmt_pp(last.test_accuracy - first.test_accuracy)} "
                f"from N′ = {first.n_train} to N′ = {last.n_train}."
            )
        else:
            drops = [(a, b) for a, b in zip(ok, ok[1:]) if b.test_accuracy <= a.test_accuracy]
            text.append(
                "It did not increase with every step in N′: "
                + "; ".join(
                    f"from N′ = {a.n_train} to {b.n_train} it went from {fmt_acc(a.test_accuracy)} to "
                    f"{fmt_acc(b.test_accuracy)}"
                    for a, b in drops
                )
                + "."
            )
            best = max(ok, key=lambda r: r.test_accuracy)
            if best.n_train != last.n_train:
                text.append(f"The most accurate was N′ = {best.n_train}, not the largest subset.")
        gaps = [(r.n_train, r.train_accuracy - r.test_accuracy) for r in ok]
        g0, g1 = gaps[0][1], gaps[-1][1]
        if abs(g0) - abs(g1) > 0.005:
            text.append(
                f"The gap between training and test accuracy shrank from {fmt_pp(g0)} (N′ = {gaps[0][0]}) "
                f"to {fmt_pp(g1)} (N′ = {gaps[-1][0]})."
            )
        elif abs(g1) - abs(g0) > 0.005:
            text.append(
                f"The gap between training and test accuracy grew from {fmt_pp(g0)} (N′ = {gaps[0][0]}) "
                f"to {fmt_pp(g1)} (N′ = {gaps[-1][0]})."
            )
        else:
            text.append(f"The gap between training and test accuracy stayed near {fmt_pp(g1)}.")
    paragraphs.append(" ".join(text))
    # a fixed number of epochs is a different number of updates per N′
    upd = ", ".join(f"{r.updates:.0f} (N′ = {r.n_train})" for r in ok)
    paragraphs.append(
        f"With {epochs} epochs at B = {batch_size} the number of updates grows with N′: {upd}; "
        "small subsets are therefore also trained with fewer steps."
    )
    # the least-squares solution of each subset
    fl = floors.groupby("n_train")[["floor_loss", "train_accuracy", "test_accuracy"]].mean()
    exact = [r for r in ok if r.n_train in fl.index and fl.loc[r.n_train, "floor_loss"] < ZERO_FLOOR]
    ls_text = []
    if exact:
        ls_text.append(
            f"For N′ = {join_words([r.n_train for r in exact])} the least-squares solution fits the training "
            "subset exactly (L* = 0) and reaches "
            + ", ".join(f"{fmt_acc(fl.loc[r.n_train, 'test_accuracy'])} (N′ = {r.n_train})" for r in exact)
            + " on the test set."
        )
    better = [r for r in ok if r.n_train in fl.index and r.test_accuracy > fl.loc[r.n_train, "test_accuracy"]]
    worse = [r for r in ok if r.n_train in fl.index and r.test_accuracy <= fl.loc[r.n_train, "test_accuracy"]]
    if better:
        ls_text.append(
            f"SGD, stopped after {epochs} epochs above L*, tested better than the exact minimiser at "
            f"N′ = {join_words([r.n_train for r in better])}."
        )
    if worse:
        ls_text.append(
            f"The least-squares minimiser tested at least as well as SGD at N′ = "
            f"{join_words([r.n_train for r in worse])}."
        )
    if ls_text:
        paragraphs.append(" ".join(ls_text))
    if n_full is not None and n_full not in sizes:
        full = point_result(runs, batch_size, n_full)
        if full.ok:
            paragraphs.append(
                f"For reference, the full training set (N′ = {n_full}) at the same B reached "
                f"{fmt_acc(full.test_accuracy)}"
                + (
                    f", {fmt_pp(full.test_accuracy - ok[-1].test_accuracy)} "
                    f"{'above' if full.test_accuracy > ok[-1].test_accuracy else 'below'} N′ = {ok[-1].n_train}."
                    if np.isfinite(full.test_accuracy)
                    else "."
                )
            )
    return paragraphs

"""The report's comment on the batch size (question 4), written from the measured numbers.

Each paragraph opens with the question it answers, then gives the evidence. An explanation
(fixed cost per update, gradient noise growing with lr/B, stability growing with B) is stated
only when the measured numbers agree with it; otherwise the text says what was measured
instead. Two accuracies are called different only when McNemar's test on the same test
images says so (:mod:`mnist_sgd.aggregate.paired`); otherwise they are "indistinguishable at this
sample size".

Inputs are the tables of :mod:`mnist_sgd.aggregate.tables` (``runs``, ``epochs``, ``lr_choice``)
and the paired tests, read through :mod:`mnist_sgd.report.queries`; numbers are formatted by
:mod:`mnist_sgd.report.formats`.
"""

from __future__ import annotations

import math

import pandas as pd

from mnist_sgd.report import evidence as ev
from mnist_sgd.report.formats import (
    capitalise,
    fmt_acc,
    fmt_duration,
    fmt_factor,
    fmt_int,
    fmt_loss,
    fmt_lr,
    fmt_ratio,
    fmt_seconds,
    join_words,
)
from mnist_sgd.report.lr_commentary import bs, bs_list, lr_sentences
from mnist_sgd.report.queries import PointResult, point_result, tried_lrs

# ---- time and cost per update ------------------------------------------------------------


def _time_sentences(ok: list[PointResult], epochs: int) -> list[str]:
    by_b = sorted(ok, key=lambda r: r.batch_size)
    small, large = by_b[0], by_b[-1]
    fastest = min(by_b, key=lambda r: r.train_seconds)
    times = ", ".join(f"{fmt_seconds(r.train_seconds)} at {bs(r.batch_size)}" for r in by_b)
    out = [f"How long does training take for each B? For {epochs} epochs (updates only, evaluation excluded): {times}."]
    ratio = small.train_seconds / large.train_seconds
    if ratio >= 1.1:
        out.append(
            f"The largest batch ({bs(large.batch_size)}) trained {fmt_factor(ratio)} faster than the "
            f"smallest ({bs(small.batch_size)})."
        )
    elif ratio <= 1 / 1.1:
        out.append(
            f"Larger batches were not faster here: {bs(large.batch_size)} took "
            f"{fmt_factor(1 / ratio)} as long as {bs(small.batch_size)}."
        )
    else:
        out.append(f"{bs(small.batch_size)} and {bs(large.batch_size)} took about the same time (ratio {ratio:.2f}).")
    seconds = [r.train_seconds for r in by_b]
    if len(by_b) > 2:
        if ev.is_monotone(seconds, increasing=False):
            out.append("Time fell at every step up in B.")
        elif fastest.batch_size != large.batch_size:
            out.append(
                f"Time did not fall steadily with B: the fastest was {bs(fastest.batch_size)} "
                f"({fmt_seconds(fastest.train_seconds)}), and {bs(large.batch_size)} took "
                f"{fmt_seconds(large.train_seconds)}."
            )
    return out


def _cost_sentences(ok: list[PointResult]) -> list[str]:
    """Why: a fixed cost per update against vectorised work per example (µs per example)."""
    cost = ev.update_cost(ok)
    if cost is None:
        return []
    per_ex = ", ".join(f"{fmt_duration(c)} at {bs(b)}" for b, c in zip(cost.batch_sizes, cost.per_example))
    out = [f"Why? Per training example an update cost {per_ex}."]
    first, last = cost.per_example[0], cost.per_example[-1]
    b0, b1 = cost.batch_sizes[0], cost.batch_sizes[-1]
    if last < first / 1.5 and cost.overhead > 0:
        out.append(
            f"Each update pays a fixed cost (the loop over minibatches, the calls, reading W) whatever its size, and "
            f"the work on its examples runs as vectorised matrix products: a straight line through the "
            f"per-update times gives {fmt_duration(cost.overhead)} per update plus "
            f"{fmt_duration(cost.slope)} per example. At {bs(b0)} that fixed cost is paid for every example; "
            f"at {bs(b1)} it is shared by {fmt_int(b1)}, so an example cost {fmt_ratio(first / last)} times less."
        )
        if not ev.is_monotone(cost.per_example, increasing=False):
            worst = cost.batch_sizes[max(range(1, len(cost.per_example)), key=lambda i: cost.per_example[i])]
            out.append(
                f"The fall is not steady ({bs(worst)} cost more per example than a smaller batch): "
                "batch sizes take different code paths and cache behaviour."
            )
    elif last >= first:
        out.append(
            f"The cost per example did not fall from {bs(b0)} to {bs(b1)}, so a larger batch bought no "
            "saving per example here; the usual explanation (a fixed cost per update shared by more "
            "examples) does not fit these timings."
        )
    else:
        out.append(
            f"It fell by only {fmt_ratio(first / last)} times from {bs(b0)} to {bs(b1)}: little fixed cost per update to share."
        )
    return out


# ---- accuracy -------------------------------------------------------------------------------


def _accuracy_sentences(ok: list[PointResult], tests: pd.DataFrame | None, n_full: int) -> list[str]:
    by_b = sorted(ok, key=lambda r: r.batch_size)
    accs = ", ".join(f"{fmt_acc(r.test_accuracy)} ({bs(r.batch_size)})" for r in by_b)
    out = [f"Does the batch size change accuracy? Test accuracy at the chosen learning rates: {accs}."]
    if len(by_b) == 1:
        return out
    sides = [({"batch_size": r.batch_size, "n_train": n_full}, bs(r.batch_size)) for r in by_b]
    found = ev.indistinguishable_groups(tests, "batch", sides)
    if found is None:
        out.append(
            "No paired test of these models was available, so no difference between them is claimed; "
            "one accuracy on 10,000 test images near 86 % has a 95 % interval of about ±0.7 pp."
        )
        return out
    groups, different = found
    if not different:
        out.append(
            "McNemar's test on the same test images finds no pair of batch sizes that differs: "
            "the batch size made no difference to accuracy that this test set can detect."
        )
        return out
    text = ev.groups_sentence(groups)
    if text:
        out.append(capitalise(text) + ".")
    out.append(
        "Different by McNemar's test on the same test images: "
        + "; ".join(f"{better} above {worse} ({p})" for better, worse, p in different)
        + "."
    )
    return out


# ---- the noise floor above L* -----------------------------------------------------------------


def _floor_sentences(tables: dict | None, ok: list[PointResult], epochs: int) -> list[str]:
    by_b = sorted(ok, key=lambda r: r.batch_size)
    if not all(math.isfinite(r.gap) for r in by_b):
        return []
    floor = by_b[0].floor_loss
    gaps = ", ".join(f"{fmt_loss(r.gap)} at {bs(r.batch_size)} (lr/B = {r.lr / r.batch_size:.2g})" for r in by_b)
    out = [
        f"Why does no run reach the least-squares floor L* = {fmt_loss(floor)}? "
        f"After {epochs} epochs the training loss was above it by {gaps}."
    ]
    if tables is None or len(by_b) < 2:
        return out
    falling = {r.batch_size: ev.still_falling(tables, r) for r in by_b}
    steady = [r for r in by_b if falling[r.batch_size] == 1.0]
    settled = [r for r in by_b if math.isfinite(falling[r.batch_size]) and falling[r.batch_size] < 0.1]
    moving = [r for r in by_b if math.isfinite(falling[r.batch_size]) and falling[r.batch_size] >= 0.1]
    if steady:
        out.append(
            f"At {bs_list([r.batch_size for r in steady])} the loss was still falling at nearly every epoch of "
            "the last tenth: that gap is unfinished optimisation (a small lr/B converges slowly), not a noise floor."
        )
    moving = [r for r in moving if r not in steady]
    if moving:
        out.append(
            f"At {bs_list([r.batch_size for r in moving])} the loss was still falling (the last tenth of the "
            f"epochs closed {join_words([f'{100 * falling[r.batch_size]:.0f} %' for r in moving])} of the "
            "remaining gap): that part of the gap is unfinished optimisation."
        )
    if len(settled) >= 2:
        noise = sorted(settled, key=lambda r: r.lr / r.batch_size)
        if ev.is_monotone([r.gap for r in noise]):
            out.append(
                f"At {bs_list([r.batch_size for r in settled])} the loss had stopped falling, and there the "
                "gap grows with lr/B: each update follows a gradient estimated from B examples, whose noise "
                "(variance ∝ 1/B, step ∝ lr) keeps W jittering around the minimiser at an excess loss of "
                "order lr/B."
            )
        else:
            out.append(
                f"At {bs_list([r.batch_size for r in settled])} the loss had stopped falling, but the gap does not "
                "grow with lr/B there, so gradient noise alone does not explain these gaps."
            )
    return out


# ---- epochs against updates -------------------------------------------------------------------


def _reach_sentences(tables: dict | None, ok: list[PointResult]) -> list[str]:
    if tables is None or len(ok) < 2:
        return []
    target = max(r.train_loss for r in ok)
    if not math.isfinite(target):
        return []
    reach = ev.reach_target(tables, ok, target)
    if len(reach) < 2:
        return []
    by_b = sorted(reach)
    parts = ", ".join(
        f"{bs(b)} after {reach[b][0]} epoch{'' if reach[b][0] == 1 else 's'} ({fmt_int(reach[b][1])} updates)"
        for b in by_b
    )
    out = [f"Epochs or updates? Every B reached a training loss of {fmt_loss(target)}: {parts}."]
    ep = [reach[b][0] for b in by_b]
    up = [reach[b][1] for b in by_b]
    if all(b >= a for a, b in zip(ep, ep[1:])) and all(b <= a for a, b in zip(up, up[1:])) and ep[-1] > ep[0]:
        out.append(
            "Small batches need fewer passes over the data but many more updates: per epoch they take "
            "N′/B steps, each noisier but each a full step."
        )
    elif ep[-1] <= ep[0]:
        out.append("Here the largest batch needed no more epochs than the smallest.")
    return out


def batch_size_comment(
    runs: pd.DataFrame,
    batch_sizes: list[int],
    n_train: int,
    epochs: int,
    *,
    tables: dict | None = None,
    tests: pd.DataFrame | None = None,
    curvature: dict | None = None,
) -> list[str]:
    """Paragraphs commenting on batch size (question 4), from the NumPy runs on the full set.

    ``tables`` (epochs, lr_choice) add the convergence and bracket evidence, ``tests`` (the
    paired tests) the comparisons of accuracies, ``curvature`` (lambda_max, gd_lr_bound) the
    full-batch bound.
    """
    batch_sizes = sorted(batch_sizes)
    results = [point_result(runs, b, n_train) for b in batch_sizes]
    ok = [r for r in results if r.ok]
    paragraphs = []
    for r in results:
        if not r.ok:
            lrs = join_words([fmt_lr(x) for x in tried_lrs(runs, r.batch_size, n_train)])
            paragraphs.append(
                f"At {bs(r.batch_size)} every learning rate tried ({lrs}) diverged, so it has no training time, "
                "curve or accuracy; a smaller lr would be needed."
            )
    if not ok:
        paragraphs.append("No batch size trained stably with these learning rates, so there is nothing to compare.")
        return paragraphs
    if len(ok) > 1:
        paragraphs.append(" ".join(_time_sentences(ok, epochs) + _cost_sentences(ok)))
    else:
        paragraphs.append(
            f"Only {bs(ok[0].batch_size)} trained stably ({fmt_seconds(ok[0].train_seconds)} "
            f"for {epochs} epochs), so there is no time to compare it with."
        )
    paragraphs.append(" ".join(_accuracy_sentences(ok, tests, n_train)))
    for part in (_floor_sentences(tables, ok, epochs), _reach_sentences(tables, ok)):
        if part:
            paragraphs.append(" ".join(part))
    paragraphs.append(" ".join(lr_sentences(tables, runs, batch_sizes, n_train, curvature, tests)))
    return paragraphs

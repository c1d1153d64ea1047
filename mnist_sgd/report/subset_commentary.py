"""The report's comment on the training-set size N′ (question 5), written from the measured numbers.

Same rules as :mod:`mnist_sgd.report.commentary`: the question first, then the evidence; a step
in accuracy between two N′ is called a rise or a fall only when McNemar's test on the same test
images says the two models differ; the train–test gap is named by its sign (test accuracy above
training accuracy is not a "gap that shrank"); the interpolation regime (N′ ≤ rank of the
design matrix, L* = 0) is stated only where the floors table shows it.
"""

from __future__ import annotations

import math

import pandas as pd

from mnist_sgd.report import evidence as ev
from mnist_sgd.report.brackets import bracket_sentences
from mnist_sgd.report.formats import fmt_acc, fmt_int, fmt_p, fmt_pp, join_words
from mnist_sgd.aggregate.paired import accuracy, find_test
from mnist_sgd.report.queries import ZERO_FLOOR, point_result
from mnist_sgd.stats import ALPHA, Z95


def ns(n: int) -> str:
    return f"N′ = {fmt_int(n)}"


def _steps(ok, tests, b: int) -> list[str]:
    """Each step up in N′: a rise, a fall, or indistinguishable (McNemar on the same test images)."""
    rises, falls, flat = [], [], []
    for a, c in zip(ok, ok[1:]):
        row = find_test(
            tests, "subset", {"batch_size": b, "n_train": c.n_train}, {"batch_size": b, "n_train": a.n_train}
        )
        if row is None:
            continue
        step = f"{ns(a.n_train)} to {fmt_int(c.n_train)} ({fmt_p(float(row.p_exact))})"
        if float(row.p_exact) >= ALPHA:
            flat.append(step)
        elif accuracy(row, "a") > accuracy(row, "b"):
            rises.append(step)
        else:
            falls.append(step)
    out = []
    if rises:
        out.append("By McNemar's test on the same test images, accuracy rose from " + "; from ".join(rises) + ".")
    if falls:
        out.append("It fell from " + "; from ".join(falls) + ".")
    if flat:
        out.append("From " + "; from ".join(flat) + " the two models are indistinguishable at this sample size.")
    return out


def _noise_pp(r, n_test: int) -> float:
    """Half-width (fraction) of the 95 % interval of train minus test accuracy (independent images)."""
    var = sum(p * (1 - p) / n for p, n in ((r.train_accuracy, r.n_train), (r.test_accuracy, n_test)))
    return Z95 * math.sqrt(var)


def _gap_sentences(ok, n_test: int = 10000) -> list[str]:
    gaps = [(r.n_train, r.train_accuracy - r.test_accuracy, _noise_pp(r, n_test)) for r in ok]
    parts = [
        f"{fmt_pp(g)} {'above' if g >= 0 else 'below'} the test accuracy at {ns(n)} (±{fmt_pp(h)})" for n, g, h in gaps
    ]
    out = [
        "How well does training accuracy predict test accuracy? Training accuracy was "
        + "; ".join(parts)
        + " (± the 95 % interval of the difference)."
    ]
    real = [(n, g) for n, g, h in gaps if abs(g) > h]
    noise = [n for n, g, h in gaps if abs(g) <= h]
    pos = [g for _, g in real]
    if len(real) > 1 and all(g > 0 for g in pos) and ev.is_monotone(pos, increasing=False):
        out.append(
            "Where it exceeds the noise, the gap shrank with every increase of N′: with more examples per "
            "weight the fit depends less on the particular images drawn."
        )
    below = [n for n, g in real if g < 0]
    if below:
        out.append(
            f"At {join_words([ns(n) for n in below])} test accuracy was above training accuracy, beyond the noise."
        )
    if noise:
        out.append(
            f"At {join_words([ns(n) for n in noise])} the difference lies within the noise: no gap is measurable."
        )
    return out


def _rank_sentences(ok, floors: pd.DataFrame, epochs: int) -> list[str]:
    fl = floors.groupby("n_train").agg(
        floor_loss=("floor_loss", "mean"),
        train_accuracy=("train_accuracy", "mean"),
        test_accuracy=("test_accuracy", "mean"),
        **({"rank": ("rank", "min")} if "rank" in floors else {}),
    )
    out = []
    exact = [r for r in ok if r.n_train in fl.index and fl.loc[r.n_train, "floor_loss"] < ZERO_FLOOR]
    if exact:
        ranks = [int(fl.loc[r.n_train, "rank"]) for r in exact] if "rank" in fl else []
        full_rank = ranks and all(rk == r.n_train for rk, r in zip(ranks, exact))
        why = (
            " the design matrix has rank N′ (fewer images than the 784 pixels), so W can map every training "
            "image to its one-hot target exactly:"
            if full_rank
            else ""
        )
        out.append(
            f"Why do small subsets generalise badly? For {join_words([ns(r.n_train) for r in exact])}{why} the "
            "least-squares floor is L* = 0, and the exact minimiser W* reaches "
            + ", ".join(f"{fmt_acc(fl.loc[r.n_train, 'test_accuracy'])} ({ns(r.n_train)})" for r in exact)
            + " on the test set: it fits the training images, pixel noise included."
        )
        closer = [r for r in exact if r.test_accuracy > fl.loc[r.n_train, "test_accuracy"]]
        if closer:
            out.append(
                f"SGD from zero, stopped after {epochs} epochs, tested better there "
                + ", ".join(f"({fmt_acc(r.test_accuracy)} at {ns(r.n_train)})" for r in closer)
                + ": stopping early kept W small, away from the interpolating solution."
            )
    above = [r for r in ok if r.n_train in fl.index and fl.loc[r.n_train, "floor_loss"] >= ZERO_FLOOR]
    if above and "rank" in fl:
        out.append(
            "Above the rank the floor is positive ("
            + ", ".join(f"rank {int(fl.loc[r.n_train, 'rank'])} at {ns(r.n_train)}" for r in above)
            + "): no W fits every image, and the fit is a compromise shared with the test set."
        )
    worse = [r for r in ok if r.n_train in fl.index and r.test_accuracy <= fl.loc[r.n_train, "test_accuracy"]]
    if worse:
        out.append(
            f"The least-squares minimiser tested at least as well as SGD at {join_words([ns(r.n_train) for r in worse])}."
        )
    return out


def subset_size_comment(
    runs: pd.DataFrame,
    floors: pd.DataFrame,
    subset_sizes: list[int],
    batch_size: int,
    epochs: int,
    n_full: int | None = None,
    *,
    tables: dict | None = None,
    tests: pd.DataFrame | None = None,
) -> list[str]:
    """Paragraphs commenting on accuracy as a function of N′ at fixed B (question 5)."""
    sizes = sorted(subset_sizes)
    results = [point_result(runs, batch_size, n) for n in sizes]
    ok = [r for r in results if r.ok]
    paragraphs = []
    failed = [r.n_train for r in results if not r.ok]
    if failed:
        paragraphs.append(
            f"At {join_words([ns(n) for n in failed])} every learning rate diverged: no accuracy to report there."
        )
    if not ok:
        paragraphs.append("No training-set size trained stably, so accuracy cannot be compared across N′.")
        return paragraphs
    accs = ", ".join(f"{fmt_acc(r.test_accuracy)} at {ns(r.n_train)}" for r in ok)
    text = [f"How does accuracy depend on N′? Test accuracy at B = {fmt_int(batch_size)}: {accs}."]
    if len(ok) > 1:
        test = [r.test_accuracy for r in ok]
        if ev.is_monotone(test):
            text.append(
                f"It rose with every increase of N′, by {fmt_pp(test[-1] - test[0])} from {ns(ok[0].n_train)} to {ns(ok[-1].n_train)}."
            )
        else:
            best = max(ok, key=lambda r: r.test_accuracy)
            text.append(
                "It did not increase with every step in N′"
                + (
                    f": the most accurate was {ns(best.n_train)}, not the largest subset."
                    if best is not ok[-1]
                    else "."
                )
            )
        text += _steps(ok, tests, batch_size)
    if n_full is not None and n_full not in sizes:
        full = point_result(runs, batch_size, n_full)
        phrase = ev.compare_phrase(
            tests,
            "subset",
            {"batch_size": batch_size, "n_train": n_full},
            {"batch_size": batch_size, "n_train": ok[-1].n_train},
            f"the full training set ({ns(n_full)})",
            ns(ok[-1].n_train),
        )
        if full.ok and phrase:
            text.append(f"For reference, {phrase}.")
        elif full.ok:
            text.append(f"For reference, the full training set ({ns(n_full)}) reached {fmt_acc(full.test_accuracy)}.")
    paragraphs.append(" ".join(text))
    if len(ok) > 1:
        paragraphs.append(" ".join(_gap_sentences(ok)))
    rank = _rank_sentences(ok, floors, epochs)
    if rank:
        paragraphs.append(" ".join(rank))
    upd = ", ".join(f"{fmt_int(r.updates)} ({ns(r.n_train)})" for r in ok)
    paragraphs.append(
        f"With {epochs} epochs at B = {fmt_int(batch_size)} the number of updates grows with N′: {upd}; "
        "small subsets are therefore also trained with fewer steps."
    )
    if tables is not None:
        lr = bracket_sentences(tables, [(batch_size, n) for n in sizes], name=ns, tests=tests)
        if lr:
            paragraphs.append(" ".join(lr))
    return paragraphs

"""The part of the batch-size comment on learning rates: which lrs were stable at each B, how that
compares with the full-batch bound 2/λmax, and each point's final lr bracket."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mnist_sgd import grid
from mnist_sgd.report import evidence as ev
from mnist_sgd.report.brackets import bracket_sentences
from mnist_sgd.report.formats import capitalise, fmt_int, fmt_lr, join_words
from mnist_sgd.report.queries import diverged_lrs, tried_lrs


def bs(b: int) -> str:
    return f"B = {fmt_int(b)}"


def bs_list(batches: list[int]) -> str:
    return "B = " + join_words([fmt_int(b) for b in batches])


# ---- learning rates: stability and the choice --------------------------------------------------


def _everywhere_diverged(runs: pd.DataFrame, batches: list[int], n: int) -> list[str]:
    """One sentence per lr that diverged at every B, saying in which epoch (and at every seed)."""
    tried = sorted({lr for b in batches for lr in tried_lrs(runs, b, n)})
    out = []
    for lr in tried:
        if len(batches) < 2 or not all(lr in diverged_lrs(runs, b, n) for b in batches):
            continue
        rows = runs[
            (runs.backend == grid.NUMPY) & (runs.n_train == n) & runs.batch_size.isin(batches) & np.isclose(runs.lr, lr)
        ]
        epochs = sorted({int(e) for e in rows.diverged_epoch.dropna()}) if "diverged_epoch" in rows else []
        when = (
            "" if not epochs else f", in epoch {epochs[0]}" if len(epochs) == 1 else f", in epochs {join_words(epochs)}"
        )
        seeds = " at every seed" if epochs and rows.seed.nunique() > 1 else ""
        out.append(f"The learning rate {fmt_lr(lr)} diverged at every B{when}{seeds}.")
    return out


def lr_sentences(
    tables: dict | None,
    runs: pd.DataFrame,
    batches: list[int],
    n: int,
    curvature: dict | None,
    tests: pd.DataFrame | None = None,
) -> list[str]:
    out = ["Which learning rates work?"]
    st = ev.stability(runs, batches, n)
    parts = []
    for s in st:
        if s.largest_stable is None:
            parts.append(f"{bs(s.batch_size)}: every lr tried diverged")
        elif s.smallest_diverged is None:
            parts.append(f"{bs(s.batch_size)}: stable up to {fmt_lr(s.largest_stable)} (none tried diverged)")
        else:
            parts.append(
                f"{bs(s.batch_size)}: stable at {fmt_lr(s.largest_stable)}, diverged at {fmt_lr(s.smallest_diverged)}"
            )
    out.append(capitalise("; ".join(parts)) + ".")
    known = [s for s in st if s.largest_stable is not None]
    bound = curvature["gd_lr_bound"] if curvature else None
    if len(known) >= 2:
        edges = [s.largest_stable for s in known]
        if all(b >= a for a, b in zip(edges, edges[1:])) and edges[-1] > edges[0]:
            why = (
                "the noise of a small batch adds to the step, so small batches need a smaller lr; "
                f"full-batch gradient descent is stable up to 2/λmax = {bound:.3g}"
                if bound
                else "the noise of a small batch adds to the step, so small batches need a smaller lr"
            )
            out.append(f"The stable range grows with B: {why}.")
        elif edges[-1] < edges[0]:
            out.append("The stable range did not grow with B here: the largest batch tolerated a smaller lr.")
    if bound and known:
        big = known[-1]
        if big.smallest_diverged is not None and big.largest_stable < bound < big.smallest_diverged:
            out.append(
                f"At {bs(big.batch_size)} the measured edge ({fmt_lr(big.largest_stable)} stable, "
                f"{fmt_lr(big.smallest_diverged)} diverged) brackets the full-batch bound {bound:.3g}."
            )
        elif big.largest_stable > bound:
            out.append(
                f"At {bs(big.batch_size)} an lr of {fmt_lr(big.largest_stable)}, above the full-batch bound "
                f"{bound:.3g}, did not diverge within the run."
            )
    div_all = [
        b for b in batches if tried_lrs(runs, b, n) and len(diverged_lrs(runs, b, n)) == len(tried_lrs(runs, b, n))
    ]
    if div_all:
        out.append(f"At {bs_list(div_all)} no lr tried was stable.")
    out += _everywhere_diverged(runs, batches, n)
    if tables is not None:
        out += bracket_sentences(tables, [(b, n) for b in batches], name=bs, tests=tests)
    return out

"""What the report says about each point's learning-rate choice: its final bracket (the tried lrs
next to the chosen one), whether the lr search ran out of rounds, and whether the paired test on
the validation images separates the choice from its neighbours.

The bracket columns of the ``lr_choice`` table (``bracket_below``, ``bracket_above``,
``bracket_closed``, ``budget_exhausted``) come from the lr search; when a table has none of them
nothing is said about brackets, only where the choice sits on the edge of the lrs tried.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd

from mnist_sgd import grid
from mnist_sgd.report.formats import capitalise, fmt_lr, fmt_p, join_words
from mnist_sgd.aggregate.paired import find_test
from mnist_sgd.stats import ALPHA

BRACKET_COLUMNS = ("bracket_below", "bracket_above", "bracket_closed")


def point_choice(tables: dict, b: int, n: int, backend: str = grid.NUMPY) -> pd.DataFrame:
    lc = tables["lr_choice"]
    return lc[(lc.backend == backend) & (lc.batch_size == b) & (lc.n_train == n)]


def has_brackets(tables: dict) -> bool:
    lc = tables["lr_choice"]
    return all(c in lc for c in BRACKET_COLUMNS) and lc["bracket_closed"].notna().any()


def _value(x) -> float | None:
    return None if x is None or pd.isna(x) else float(x)


def bracket(tables: dict, b: int, n: int) -> dict | None:
    """{"chosen", "below", "above", "closed", "budget_exhausted"} of a point, or None (no bracket
    recorded, or no lr chosen)."""
    sel = point_choice(tables, b, n)
    chosen = sel[sel.chosen.astype(bool)]
    if not len(chosen) or not has_brackets(tables):
        return None
    row = chosen.iloc[0]
    if pd.isna(row.get("bracket_closed")):
        return None
    exhausted = row.get("budget_exhausted")
    return {
        "chosen": float(row.lr),
        "below": _value(row.bracket_below),
        "above": _value(row.bracket_above),
        "closed": bool(row.bracket_closed),
        "budget_exhausted": False if exhausted is None or pd.isna(exhausted) else bool(exhausted),
    }


def bracket_text(br: dict) -> str:
    """'0.0003 < 0.001 < 0.003' or 'open below: 0.001 < 0.003'."""
    low = "…" if br["below"] is None else fmt_lr(br["below"])
    high = "…" if br["above"] is None else fmt_lr(br["above"])
    return f"{low} < {fmt_lr(br['chosen'])} < {high}"


def criterion(tables: dict) -> str | None:
    lc = tables["lr_choice"]
    if "criterion" not in lc:
        return None
    texts = [t for t in lc.criterion.dropna().unique() if t]
    return texts[0] if len(texts) == 1 else None


def bracket_sentences(
    tables: dict, points: list[tuple[int, int]], name: Callable[[int], str], tests: pd.DataFrame | None = None
) -> list[str]:
    """Sentences on the final lr bracket of each point (``name(b or n)`` names a point)."""
    key = (lambda p: p[0]) if len({n for _, n in points}) == 1 else (lambda p: p[1])
    out = []
    if has_brackets(tables):
        brackets = {p: bracket(tables, *p) for p in points}
        shown = [f"{name(key(p))}: {bracket_text(br)}" for p, br in brackets.items() if br]
        if shown:
            out.append(
                "Final learning-rate brackets (tried lr below < chosen < tried lr above): " + "; ".join(shown) + "."
            )
        open_ = [p for p, br in brackets.items() if br and not br["closed"]]
        if open_:
            out.append(
                f"At {join_words([name(key(p)) for p in open_])} the bracket is open on one side: the best lr "
                "may lie beyond the ones tried."
            )
        ran_out = [p for p, br in brackets.items() if br and br["budget_exhausted"]]
        if ran_out:
            out.append(
                f"At {join_words([name(key(p)) for p in ran_out])} the lr search used all its extra rounds before "
                "the bracket closed."
            )
    else:
        low, high = [], []
        for b, n in points:
            sel = point_choice(tables, b, n)
            chosen = sel[sel.chosen.astype(bool)]
            if len(chosen):
                lr = float(chosen.lr.iloc[0])
                low += [(b, n)] if lr == sel.lr.min() else []
                high += [(b, n)] if lr == sel[~sel.diverged.astype(bool)].lr.max() and lr < sel.lr.max() else []
        if low:
            out.append(
                f"At {join_words([name(key(p)) for p in low])} the chosen lr is the smallest one tried: "
                "a smaller lr might do better."
            )
        if high:
            out.append(
                f"At {join_words([name(key(p)) for p in high])} the chosen lr is the largest that did not "
                "diverge: one between it and the smallest diverged lr might do better."
            )
    out += _choice_evidence(tables, points, name, key, tests)
    return out


def _choice_evidence(tables, points, name, key, tests) -> list[str]:
    """Whether the chosen lr beats its neighbours on the validation images (McNemar)."""
    if tests is None or not len(tests):
        return []
    weak = []
    for b, n in points:
        sel = point_choice(tables, b, n)
        ok = sel[~sel.diverged.astype(bool)].sort_values("lr")
        chosen = ok[ok.chosen.astype(bool)]
        if not len(chosen):
            continue
        lr = float(chosen.lr.iloc[0])
        others = [float(x) for x in ok.lr if not math.isclose(float(x), lr)]
        near = [
            x
            for x in (
                max((x for x in others if x < lr), default=None),
                min((x for x in others if x > lr), default=None),
            )
            if x is not None
        ]
        for other in near:
            row = find_test(
                tests, "lr", {"batch_size": b, "n_train": n, "lr": lr}, {"batch_size": b, "n_train": n, "lr": other}
            )
            if row is not None and float(row.p_exact) >= ALPHA:
                weak.append(f"{name(key((b, n)))} ({fmt_lr(lr)} against {fmt_lr(other)}, {fmt_p(float(row.p_exact))})")
    if not weak:
        return []
    return [
        capitalise(
            "on the validation images the chosen lr is indistinguishable from a neighbour at "
            + join_words(weak)
            + ": there the choice is a tie at this sample size, and either lr is as good an answer."
        )
    ]

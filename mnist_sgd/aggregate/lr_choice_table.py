"""The ``lr_choice`` table of rule ``aggregate``: every candidate lr of every (backend, B, N') point,
with the point's final lr bracket, the rounds of its lr search and the selection criterion."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd


def _number(x) -> float:
    """JSON numbers (and "nan"/"inf" strings, null) as float."""
    return math.nan if x is None else float(x)


LR_CHOICE_COLUMNS = [
    "backend",
    "batch_size",
    "n_train",
    "lr",
    "seeds",
    "diverged",
    "chosen",
    "all_diverged",
    "score",
    "se",
    "mean_val_accuracy",
    "mean_val_loss",
    "round",
    "bracket_below",
    "bracket_above",
    "bracket_closed",
    "budget_exhausted",
    "rounds",
    "criterion",
]


def lr_choice_table(lr_choice_files: list[str | Path]) -> pd.DataFrame:
    """One row per candidate lr of each (backend, B, N') point; the point's final lr bracket
    (largest tried lr below the chosen one, smallest above, closed when both exist), the
    search's rounds and whether its budget ran out, and the selection criterion are repeated on
    each of its rows (empty when the lr-choice file does not record them)."""
    rows = []
    for path in lr_choice_files:
        c = json.loads(Path(path).read_text())
        bracket = c.get("bracket") or {}
        for cand in c["candidates"]:
            rows.append(
                {
                    "backend": c["backend"],
                    "batch_size": int(c["batch_size"]),
                    "n_train": int(c["n_train"]),
                    "lr": float(cand["lr"]),
                    "seeds": " ".join(str(s) for s in cand["seeds"]),
                    "diverged": bool(cand["diverged"]),
                    "chosen": bool(cand["chosen"]),
                    "all_diverged": bool(c["all_diverged"]),
                    "score": _number(cand.get("score")),
                    "se": _number(cand.get("se")),
                    "mean_val_accuracy": _number(cand.get("mean_val_accuracy")),
                    "mean_val_loss": _number(cand.get("mean_val_loss")),
                    "round": cand.get("round", pd.NA),
                    "bracket_below": _number(bracket.get("below")),
                    "bracket_above": _number(bracket.get("above")),
                    "bracket_closed": bracket.get("closed", pd.NA),
                    "budget_exhausted": c.get("budget_exhausted", pd.NA),
                    "rounds": c.get("rounds", pd.NA),
                    "criterion": c.get("criterion", ""),
                }
            )
    table = pd.DataFrame(rows, columns=LR_CHOICE_COLUMNS)
    for col in ("round", "rounds"):
        table[col] = table[col].astype("Int64")
    for col in ("bracket_closed", "budget_exhausted"):
        table[col] = table[col].astype("boolean")
    return table.sort_values(["backend", "batch_size", "n_train", "lr"], ignore_index=True)

"""What happened in each run, in plain words, and the checks that aggregation loses no run.

Rule ``aggregate`` reads every run's ``summary.json`` and ``history.csv``. A run is never
dropped: an unreadable file stops aggregation with the file's name and the fix, and whatever
is odd about a readable run -- it diverged, its history holds a NaN where it did not diverge,
the history's last epoch disagrees with the summary -- goes into the ``note`` column of the
runs table, where the report and a reader find it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

#: The metric columns of history.csv (per epoch) and, prefixed ``final_``, of summary.json.
METRICS = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "test_loss", "test_accuracy")

RERUN_FIX = "Fix: delete the run's folder ({folder}/) and rerun snakemake (its training job runs again)."


class AggregationError(ValueError):
    """Run outputs that cannot be aggregated without losing or misreporting a run."""


def _number(x) -> float:
    """A JSON number, or the strings "nan"/"inf" the runs write for non-finite values, as float."""
    return math.nan if x is None else float(x)


def read_summary(path: str | Path) -> dict:
    """A run's summary.json.

    Raises:
        AggregationError: the file is unreadable or not JSON.
    """
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise AggregationError(f"{path}: unreadable ({err}). {RERUN_FIX.format(folder=path.parent)}") from err


def read_history(path: str | Path) -> pd.DataFrame:
    """A run's history.csv; metric cells that are not numbers become NaN (and so a note).

    Raises:
        AggregationError: the file is unreadable, empty or lacks a column.
    """
    path = Path(path)
    fix = RERUN_FIX.format(folder=path.parent)
    try:
        history = pd.read_csv(path)
    except (OSError, ValueError) as err:  # pandas' EmptyDataError and ParserError are ValueErrors
        raise AggregationError(f"{path}: unreadable ({err}). {fix}") from err
    missing = [c for c in ("epoch", "updates", *METRICS) if c not in history.columns]
    if missing or history.empty:
        what = f"lacks the column(s) {', '.join(missing)}" if missing else "has no rows"
        raise AggregationError(f"{path} {what}. {fix}")
    for col in METRICS:
        history[col] = pd.to_numeric(history[col], errors="coerce")
    return history


def _epochs(rows: pd.DataFrame, col: str) -> str:
    epochs = rows.loc[~np.isfinite(rows[col].to_numpy(dtype=float)), "epoch"].tolist()
    return f"{col} at epoch{'s' if len(epochs) > 1 else ''} {', '.join(str(int(e)) for e in epochs)}"


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-9)


def run_note(summary: dict, history: pd.DataFrame) -> str:
    """Plain words on what happened in one run; "" for a run that trained without incident."""
    notes = []
    diverged = summary["status"] == "diverged"
    if diverged:
        loss = float(history["train_loss"].iloc[-1])
        notes.append(f"diverged in epoch {summary['diverged_epoch']} (training loss {loss:.3g}); stopped there")
    # a diverged run's last epoch may be non-finite; every other recorded value must be a number
    checked = history.iloc[:-1] if diverged else history
    bad = [_epochs(checked, c) for c in METRICS if not np.isfinite(checked[c].to_numpy(dtype=float)).all()]
    if bad:
        notes.append(
            "history.csv holds values that are not finite numbers although the run "
            + ("had not diverged yet" if diverged else "did not diverge")
            + f": {'; '.join(bad)}"
        )
    last = history.iloc[-1]
    differ = [c for c in METRICS if not _same(float(last[c]), _number(summary.get(f"final_{c}")))]
    if differ:
        notes.append(f"history.csv's last epoch disagrees with summary.json on {', '.join(differ)}")
    if int(last["epoch"]) != int(summary["epochs_run"]) or len(history) != int(summary["epochs_run"]) + 1:
        notes.append(f"history.csv has {len(history)} rows up to epoch {int(last['epoch'])}, "
                     f"summary.json says {summary['epochs_run']} epochs were run")  # fmt: skip
    return "; ".join(notes)


def check_complete(runs: pd.DataFrame, epochs: pd.DataFrame, n_runs: int, key: list[str]) -> None:
    """Every one of the ``n_runs`` inputs has exactly one row in ``runs`` and rows in ``epochs``.

    Raises:
        AggregationError: a run key twice (two summaries claim the same run), a run missing
            from either table.
    """
    dup = runs[runs.duplicated(key, keep=False)]
    if len(dup):
        raise AggregationError(
            "two or more summary.json files record the same run key, so one run would hide another:\n"
            + dup[key].to_string(index=False)
            + "\nFix: delete results/runs/ and rerun snakemake."
        )
    if len(runs) != n_runs:
        raise AggregationError(f"{n_runs} runs given but {len(runs)} rows in the runs table")
    with_epochs = set(map(tuple, epochs[key].drop_duplicates().to_numpy().tolist())) if len(epochs) else set()
    lost = [k for k in map(tuple, runs[key].to_numpy().tolist()) if k not in with_epochs]
    if lost:
        raise AggregationError(f"runs without a row in the epochs table: {lost}")

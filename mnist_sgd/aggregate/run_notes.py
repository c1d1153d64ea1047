"""What happened in each run, in plain words, and the checks that aggregation loses no run.

Rule ``aggregate`` reads every run's ``summary.json`` and ``history.csv``. A run is never
dropped: an unreadable file stops aggregation with the file's name and the fix, and whatever
is odd about a readable run -- it diverged, its history holds a NaN where it did not diverge,
the history's last epoch disagrees with the summary -- goes into the ``note`` column of the
runs table, where the report and a reader find it.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Histories:
    """Every run's history.csv: ``frame`` holds their rows, run after run; ``rows`` the number of
    rows of each run. When every file has the same header and only numbers, ``header`` is that
    line and ``lines`` each file's data lines (the text :func:`tables.epochs_csv` reuses),
    else both are None."""

    frame: pd.DataFrame
    rows: np.ndarray
    header: str | None = None
    lines: list[list[str]] | None = None


def read_histories(paths: list[str | Path]) -> Histories:
    """Every run's history.csv, as :func:`read_history` reads one, the rows of ``paths[0]`` first.

    Files with the same header line are parsed by one pandas call: on a grid of thousands of
    runs a call per file costs about 3 ms each, most of the aggregation's time. A file that is
    unreadable, empty or lacks a column is read on its own, to raise :func:`read_history`'s error.

    Raises:
        AggregationError: as :func:`read_history`.
    """
    groups: dict[str, list[int]] = {}
    lines: list[list[str]] = []
    for i, path in enumerate(paths):
        try:
            text = Path(path).read_text()
        except OSError:
            read_history(path)  # raises, naming the file and the fix
            raise
        header, _, body = text.partition("\n")
        rows = [line for line in body.splitlines() if line.strip()]
        if not rows or any(c not in header.split(",") for c in ("epoch", "updates", *METRICS)):
            read_history(path)  # raises (no rows, a column missing)
        groups.setdefault(header, []).append(i)
        lines.append(rows)
    frames, numbers_only = [], True
    for header, runs in groups.items():
        n_rows = [len(lines[i]) for i in runs]
        try:
            frame = pd.read_csv(io.StringIO("\n".join([header, *(line for i in runs for line in lines[i])])))
        except (ValueError, pd.errors.ParserError):
            frame = None
        if frame is None or len(frame) != sum(n_rows):  # a malformed line: the files one by one
            one_by_one = [read_history(paths[i]) for i in runs]
            frame, n_rows, numbers_only = pd.concat(one_by_one, ignore_index=True), [len(f) for f in one_by_one], False
        numbers_only &= all(pd.api.types.is_numeric_dtype(t) for t in frame.dtypes)
        frame["_run"] = np.repeat(runs, n_rows)
        frames.append(frame)
    if not frames:
        return Histories(pd.DataFrame(columns=["epoch", "updates", *METRICS]), np.zeros(0, int))
    history = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    history = history.sort_values("_run", kind="stable", ignore_index=True)
    counts = np.bincount(history.pop("_run").to_numpy(), minlength=len(paths))
    for col in METRICS:
        history[col] = pd.to_numeric(history[col], errors="coerce")
    if len(groups) == 1 and numbers_only and header.split(",") == list(history.columns):
        return Histories(history, counts, header, lines)
    return Histories(history, counts)


def _epochs(epochs: np.ndarray, values: np.ndarray, col: str) -> str:
    bad = epochs[~np.isfinite(values)].tolist()
    return f"{col} at epoch{'s' if len(bad) > 1 else ''} {', '.join(str(int(e)) for e in bad)}"


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b or math.isclose(a, b, rel_tol=1e-9)


def run_note(summary: dict, history: pd.DataFrame) -> str:
    """Plain words on what happened in one run; "" for a run that trained without incident."""
    return note_of(summary, history["epoch"].to_numpy(), history[list(METRICS)].to_numpy(dtype=float))


def note_of(summary: dict, epochs: np.ndarray, metrics: np.ndarray) -> str:
    """:func:`run_note` of a history given as its ``epoch`` column (rows,) and its
    :data:`METRICS` columns (rows, 6), in that order."""
    notes = []
    diverged = summary["status"] == "diverged"
    if diverged:
        loss = float(metrics[-1, 0])
        notes.append(f"diverged in epoch {summary['diverged_epoch']} (training loss {loss:.3g}); stopped there")
    # a diverged run's last epoch may be non-finite; every other recorded value must be a number
    checked = metrics[:-1] if diverged else metrics
    finite = np.isfinite(checked)
    if not finite.all():
        bad = [
            _epochs(epochs[: len(checked)], checked[:, j], c) for j, c in enumerate(METRICS) if not finite[:, j].all()
        ]
        notes.append(
            "history.csv holds values that are not finite numbers although the run "
            + ("had not diverged yet" if diverged else "did not diverge")
            + f": {'; '.join(bad)}"
        )
    last = metrics[-1]
    differ = [c for j, c in enumerate(METRICS) if not _same(float(last[j]), _number(summary.get(f"final_{c}")))]
    if differ:
        notes.append(f"history.csv's last epoch disagrees with summary.json on {', '.join(differ)}")
    if int(epochs[-1]) != int(summary["epochs_run"]) or len(epochs) != int(summary["epochs_run"]) + 1:
        notes.append(f"history.csv has {len(epochs)} rows up to epoch {int(epochs[-1])}, "
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

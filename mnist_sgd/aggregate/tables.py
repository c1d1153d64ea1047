"""Collect every run's outputs into tidy tables (one row per observation), for figures and report.

Tables (:data:`mnist_sgd.layout.TABLES`, written by rule ``aggregate``):

- ``runs``        one row per run: key, settings, status, chosen-lr flag, final metrics,
                  timings (the run's own, and the benchmark of the Snakemake job that trained it:
                  wall seconds, peak memory, ``job_end_seconds``, when it ended in Unix seconds,
                  ``job``, its name, and ``job_runs``, how many runs it trained), its subset's L*,
                  and a plain-word ``note`` on anything odd (:mod:`mnist_sgd.aggregate.run_notes`);
- ``epochs``      one row per (run, epoch) from the run's ``history.csv``;
- ``floors``      one row per training subset (N', seed): L* and the least-squares accuracies;
- ``spectrum``    one row per eigenvalue of X^T X / n of each training subset;
- ``lr_choice``   one row per (backend, B, N', candidate lr);
- ``consistency`` one row per framework-vs-NumPy comparison.

The run key is (backend, batch_size, n_train, lr_path, seed), read from each run's summary;
``lr_path`` is the lr as it appears in the run's paths (``"chosen"`` for a framework run that
followed NumPy's choice). No run is ever dropped: every input run has its row in ``runs`` and
its rows in ``epochs``, or aggregation stops with the reason (:func:`run_notes.check_complete`).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mnist_sgd import grid
from mnist_sgd.aggregate.job_costs import job_name, read_benchmark
from mnist_sgd.aggregate.lr_choice_table import lr_choice_table
from mnist_sgd.aggregate.run_notes import METRICS, Histories, check_complete, note_of, read_histories, read_summary
from mnist_sgd.atomic import write_atomically
from mnist_sgd.layout import TABLES

RUN_KEY = ["backend", "batch_size", "n_train", "lr_path", "seed"]

RUN_COLUMNS = [
    *RUN_KEY,
    "lr",
    "dtype",
    "bias",
    "epochs",
    "epochs_run",
    "updates",
    "status",
    "diverged",
    "diverged_epoch",
    "chosen",
    "final_train_loss",
    "final_train_accuracy",
    "final_val_loss",
    "final_val_accuracy",
    "final_test_loss",
    "final_test_accuracy",
    "train_seconds",
    "eval_seconds",
    "lockstep_models",
    "job_seconds",
    "max_rss_mb",
    "job_end_seconds",
    "job",
    "job_runs",
    "floor_loss",
    "gap_to_floor",
    "note",
    "host",
    "slurm_job_id",
]


def _number(x) -> float:
    """JSON numbers, and the strings "nan"/"inf" the runs write for non-finite values, as float."""
    if x is None:
        return math.nan
    return float(x)


@dataclass(frozen=True)
class RunFiles:
    """The files aggregation reads of one run: its summary, history and the training job's benchmark."""

    summary: str | Path
    history: str | Path
    benchmark: str | Path


def run_key(summary: dict) -> dict:
    """The run key (:data:`RUN_KEY`) recorded in a run's summary."""
    return {
        "backend": summary["backend"],
        "batch_size": int(summary["batch_size"]),
        "n_train": int(summary["n_train"]),
        "lr_path": str(summary["lr_path"]),
        "seed": int(summary["seed"]),
    }


def _slurm_id(execution: dict) -> str:
    """The SLURM job id of a run ("" outside SLURM), ``<array job>_<task>`` for an array task."""
    if execution.get("slurm_array_task_id"):
        return f"{execution['slurm_array_job_id']}_{execution['slurm_array_task_id']}"
    return str(execution.get("slurm_job_id") or "")


def _lr_choices(lr_choice_files: list[str | Path]) -> dict[tuple[str, int, int], dict]:
    out = {}
    for path in lr_choice_files:
        c = json.loads(Path(path).read_text())
        out[(c["backend"], int(c["batch_size"]), int(c["n_train"]))] = c
    return out


def _floors(floor_files: list[str | Path]) -> dict[tuple[int, int], dict]:
    out = {}
    for path in floor_files:
        f = json.loads(Path(path).read_text())
        out[(int(f["n_train"]), int(f["seed"]))] = f
    return out


def _is_chosen(key: dict, lr: float, choices: dict) -> bool:
    """NumPy runs: lr is NumPy's choice at the point. Framework runs: "chosen" runs are; runs of
    a framework's own lr grid are when lr is that framework's own choice (else NumPy's)."""
    if key["lr_path"] == grid.CHOSEN:
        return True
    point = (key["batch_size"], key["n_train"])
    choice = choices.get((key["backend"], *point)) or choices.get((grid.NUMPY, *point))
    return bool(choice and choice["chosen_lr"] is not None and math.isclose(float(choice["chosen_lr"]), lr))


@dataclass(frozen=True)
class RunData:
    """Every run's files as aggregation reads them, each file once: the summaries, every
    history row (run after run, in the order of the runs), the number of rows of each run,
    and the benchmark of each run's training job (``seconds``, ``max_rss_mb``, ``end``, and
    ``job``: its name; a job that trained several runs has the same record for each)."""

    summaries: list[dict]
    histories: Histories
    costs: list[dict]

    @property
    def history(self) -> pd.DataFrame:
        return self.histories.frame

    @property
    def rows(self) -> np.ndarray:
        return self.histories.rows


def read_runs(runs: list[RunFiles]) -> RunData:
    """Read every run's summary, history and benchmark file.

    Raises:
        AggregationError: an unreadable summary or history (named, with the fix).
    """
    costs = {path: read_benchmark(path) | {"job": job_name(path)} for path in {str(run.benchmark) for run in runs}}
    return RunData(
        summaries=[read_summary(run.summary) for run in runs],
        histories=read_histories([run.history for run in runs]),
        costs=[costs[str(run.benchmark)] for run in runs],
    )


def runs_table(data: RunData, lr_choice_files: list[str | Path], floor_files: list[str | Path]) -> pd.DataFrame:
    """One row per run (columns :data:`RUN_COLUMNS`), sorted by key."""
    choices, floors = _lr_choices(lr_choice_files), _floors(floor_files)
    epochs = data.history["epoch"].to_numpy()
    metrics = data.history[list(METRICS)].to_numpy(dtype=float)
    ends = np.cumsum(data.rows)
    runs_per_job = Counter(cost["job"] for cost in data.costs)
    rows = []
    for s, cost, end, n in zip(data.summaries, data.costs, ends, data.rows, strict=True):
        key = run_key(s)
        lr = float(s["lr"])
        floor = floors.get((key["n_train"], key["seed"]), {}).get("floor_loss")
        row = {
            **key,
            "lr": lr,
            "dtype": s["dtype"],
            "bias": bool(s["bias"]),
            "epochs": int(s["epochs"]),
            "epochs_run": int(s["epochs_run"]),
            "updates": int(s["updates"]),
            "status": s["status"],
            "diverged": s["status"] == "diverged",
            "diverged_epoch": s["diverged_epoch"] if s["diverged_epoch"] is not None else pd.NA,
            "chosen": _is_chosen(key, lr, choices),
            **{k: _number(s[k]) for k in RUN_COLUMNS if k.startswith("final_")},
            "train_seconds": float(s["train_seconds"]),
            "eval_seconds": float(s["eval_seconds"]),
            # models its job trained side by side (1: alone); the seconds above are then its share
            "lockstep_models": int(s.get("lockstep_models", 1)),
            "job_seconds": cost["seconds"],
            "max_rss_mb": cost["max_rss_mb"],
            "job_end_seconds": cost["end"],
            "job": cost["job"],
            "job_runs": runs_per_job[cost["job"]],
            "floor_loss": _number(floor),
            "note": note_of(s, epochs[end - n : end], metrics[end - n : end]),
            "host": (s.get("execution") or {}).get("host") or "",
            "slurm_job_id": _slurm_id(s.get("execution") or {}),
        }
        row["gap_to_floor"] = row["final_train_loss"] - row["floor_loss"]
        rows.append(row)
    table = pd.DataFrame(rows, columns=RUN_COLUMNS)
    table["diverged_epoch"] = table["diverged_epoch"].astype("Int64")
    return table.sort_values(["backend", "batch_size", "n_train", "lr", "seed"], ignore_index=True)


def epochs_table(data: RunData) -> pd.DataFrame:
    """One row per (run, epoch): the run key, its numeric lr, and the columns of history.csv."""
    if not data.summaries:
        return pd.DataFrame(columns=[*RUN_KEY, "lr", "epoch"])
    keys = pd.DataFrame([run_key(s) | {"lr": float(s["lr"])} for s in data.summaries])
    keys = keys.loc[np.repeat(np.arange(len(keys)), data.rows)].reset_index(drop=True)
    table = pd.concat([keys, data.history.drop(columns=[c for c in keys if c in data.history])], axis=1)
    return table.sort_values(["backend", "batch_size", "n_train", "lr", "seed", "epoch"], ignore_index=True)


def epochs_csv(data: RunData, table: pd.DataFrame) -> str:
    """The epochs table as CSV, as ``table.to_csv(index=False)`` writes it, but built from the
    history files' own lines where they allow it: each line prefixed with its run's key, runs
    in the table's order. ``history_csv`` wrote every number as its shortest round-trip text
    already, so the values are the same, and formatting 180,000 rows of floats again took
    pandas 2-4 s on the 40-seed grid. Missing values are written as empty cells, as pandas does."""
    h = data.histories
    if h.lines is None or list(table.columns) != [*RUN_KEY, "lr", *h.frame.columns]:
        return table.to_csv(index=False)
    keys = [(*(run_key(s)[k] for k in RUN_KEY), float(s["lr"])) for s in data.summaries]
    order = sorted(range(len(keys)), key=lambda i: (*keys[i][:3], keys[i][5], keys[i][4]))
    epochs = h.frame["epoch"].to_numpy()
    starts = np.concatenate([[0], np.cumsum(h.rows)])
    if any(np.any(np.diff(epochs[starts[i] : starts[i + 1]]) <= 0) for i in order):
        return table.to_csv(index=False)  # epochs out of order: the table's sort reorders them
    out = [",".join(table.columns) + "\n"]
    for i in order:
        backend, batch, n, lr_path, seed, lr = keys[i]
        prefix = f"{backend},{batch},{n},{lr_path},{seed},{lr!r},"
        for line in h.lines[i]:
            if "nan" in line:
                line = ",".join("" if cell == "nan" else cell for cell in line.split(","))
            out.append(prefix + line + "\n")
    return "".join(out)


def floors_table(floor_files: list[str | Path]) -> pd.DataFrame:
    """One row per training subset (N', seed): L*, rank and the least-squares solution's metrics."""
    rows = [json.loads(Path(p).read_text()) for p in floor_files]
    cols = [
        "n_train",
        "seed",
        "floor_loss",
        "rank",
        "bias",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "test_loss",
        "test_accuracy",
        "lambda_max",
        "gd_lr_bound",
        "w_norm",
        "mean_sq_norm",
    ]
    table = pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)
    return table.sort_values(["n_train", "seed"], ignore_index=True)


def spectrum_table(floor_files: list[str | Path]) -> pd.DataFrame:
    """One row per eigenvalue of X^T X / n of every training subset (N', seed), descending
    (``index`` 0 is the largest); empty for floor files that do not record them."""
    rows = []
    for p in floor_files:
        f = json.loads(Path(p).read_text())
        for i, value in enumerate(f.get("eigenvalues") or []):
            rows.append({"n_train": int(f["n_train"]), "seed": int(f["seed"]), "index": i, "eigenvalue": value})
    table = pd.DataFrame(rows, columns=["n_train", "seed", "index", "eigenvalue"])
    return table.sort_values(["n_train", "seed", "index"], ignore_index=True)


CONSISTENCY_COLUMNS = [
    "backend",
    "reference",
    "batch_size",
    "n_train",
    "lr",
    "lr_path",
    "seed",
    "dtype",
    "verdict",
    "epochs_compared",
    "max_rel_train_loss_diff",
    "final_rel_train_loss_diff",
    "max_abs_train_loss_diff",
    "max_abs_train_accuracy_diff",
    "max_abs_val_accuracy_diff",
    "max_abs_test_accuracy_diff",
    "max_abs_weight_diff",
    "max_rel_weight_diff",
    "loss_rtol",
    "weights_atol",
    "accuracy_atol",
    "reasons",
]


def consistency_table(consistency_files: list[str | Path]) -> pd.DataFrame:
    """One row per comparison: verdict, measured maxima, tolerances, reasons of a failure."""
    rows = []
    for path in consistency_files:
        c = json.loads(Path(path).read_text())
        row = {k: c.get(k) for k in CONSISTENCY_COLUMNS}
        row |= {k: float(v) for k, v in c.get("tolerances", {}).items()}
        row["reasons"] = "; ".join(c.get("reasons", []))
        for k in CONSISTENCY_COLUMNS:
            if k.startswith(("max_", "final_")):
                row[k] = _number(row[k])
        rows.append(row)
    table = pd.DataFrame(rows, columns=CONSISTENCY_COLUMNS)
    return table.sort_values(["backend", "batch_size", "n_train", "lr", "seed"], ignore_index=True)


class BelowFloorError(ValueError):
    """A training loss below the closed-form least-squares minimum: a bug, never a result."""


def below_floor(epochs: pd.DataFrame, floors: pd.DataFrame, rtol: float = 1e-9) -> pd.DataFrame:
    """Rows of ``epochs`` whose finite training loss lies below L* of their subset by more than ``rtol``.

    The squared loss is convex, so no parameters reach a loss below its least-squares
    minimum L*; ``rtol`` only absorbs the rounding of the two computations.
    """
    merged = epochs.merge(floors[["n_train", "seed", "floor_loss"]], on=["n_train", "seed"], how="inner")
    finite = np.isfinite(merged.train_loss)
    return merged[finite & (merged.train_loss < merged.floor_loss * (1 - rtol) - 1e-12)]


def write_tables(
    out: dict[str, str | Path], runs: list[RunFiles], floor_files, lr_choice_files, consistency_files
) -> None:
    """Build every table and write it as CSV to ``out[<table name>]`` (names: :data:`TABLES`).

    Raises:
        BelowFloorError: if any recorded training loss is below the least-squares floor
            of its subset (nothing is written then).
        AggregationError: an unreadable run file, or a run that would be lost (nothing is written).
    """
    data = read_runs(runs)
    tables = {
        "runs": runs_table(data, lr_choice_files, floor_files),
        "epochs": epochs_table(data),
        "floors": floors_table(floor_files),
        "spectrum": spectrum_table(floor_files),
        "lr_choice": lr_choice_table(lr_choice_files),
        "consistency": consistency_table(consistency_files),
    }
    check_complete(tables["runs"], tables["epochs"], len(runs), RUN_KEY)
    bad = below_floor(tables["epochs"], tables["floors"])
    if len(bad):
        raise BelowFloorError(
            f"{len(bad)} recorded training losses lie below the least-squares floor L* of their subset, "
            "which the convex squared loss does not allow: a bug in training or evaluation. First ones:\n"
            + bad.head(10).to_string(index=False)
        )
    for name in TABLES:
        text = epochs_csv(data, tables[name]) if name == "epochs" else tables[name].to_csv(index=False)
        write_atomically(text.encode(), out[name])  # floats as shortest round-trip text


def read_tables(paths: Mapping[str, str | Path]) -> dict[str, pd.DataFrame]:
    """The tables written by :func:`write_tables`, from ``paths[<table name>]`` for every name of :data:`TABLES`."""
    tables = {}
    for name in TABLES:
        text_columns = {
            "lr_path": str,
            "reasons": str,
            "seeds": str,
            "note": str,
            "criterion": str,
            "host": str,
            "slurm_job_id": str,
        }
        table = pd.read_csv(paths[name], dtype=text_columns)
        for col in text_columns:
            if col in table:
                table[col] = table[col].fillna("")
        tables[name] = table
    return tables

"""The files of one training run (paths: :func:`mnist_sgd.layout.run_file`):

- ``history.csv``  one row per epoch (0 = before training): updates, loss and accuracy on
  train/val/test, training and evaluation seconds;
- ``summary.json`` the run's key, settings, status (``ok``/``diverged``), final metrics and
  where it ran;
- ``weights.npz``  the final W (d, k) and b (k,) (b absent without bias).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from mnist_sgd.atomic import write_atomically, write_json

if TYPE_CHECKING:  # type hints only: the lr search and the comparisons read runs without the
    # training modules' imports (Numba, SciPy: about 0.5 s per job)
    from mnist_sgd.train.loop import History
    from mnist_sgd.train.textbook import Params

HISTORY_COLUMNS = (
    "epoch",
    "updates",
    "train_loss",
    "train_accuracy",
    "val_loss",
    "val_accuracy",
    "test_loss",
    "test_accuracy",
    "train_seconds",
    "eval_seconds",
)
#: Columns of history.csv that are measured times, not results (they differ between reruns).
TIMING_COLUMNS = ("train_seconds", "eval_seconds")


def history_csv(history: History) -> str:
    """The per-epoch rows as CSV text (floats with full round-trip precision)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in history.rows:
        writer.writerow({k: repr(float(v)) if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()


def write_run(
    history: History,
    params: Params,
    summary: dict,
    history_path: str | Path,
    summary_path: str | Path,
    weights_path: str | Path,
) -> None:
    """Write the three files atomically (weights first, summary last)."""
    buffer = io.BytesIO()
    arrays = {"W": np.ascontiguousarray(params.W)} | ({} if params.b is None else {"b": params.b})
    np.savez(buffer, **arrays)
    write_atomically(buffer.getvalue(), weights_path)
    write_atomically(history_csv(history).encode(), history_path)
    write_json(summary, summary_path)


def read_history(path: str | Path) -> list[dict]:
    """A history.csv as rows (numbers as int/float)."""
    with open(path) as fh:
        return [
            {k: (int(v) if k in ("epoch", "updates") else float(v)) for k, v in row.items()}
            for row in csv.DictReader(fh)
        ]


def read_summary(path: str | Path) -> dict:
    return json.loads(Path(path).read_text())


def read_weights(path: str | Path) -> dict[str, np.ndarray]:
    """A weights.npz as {"W": (d, k), optional "b": (k,)} (no pickles)."""
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}

"""One training job end to end: load the cached arrays, train one backend, write the outputs.

Outputs of a run (folder ``results/runs/{backend}/b{B}/n{N}/lr{lr}/seed{seed}/``):

- ``history.csv``  one row per epoch (0 = before training): updates, loss and accuracy on
  train/val/test, training and evaluation seconds;
- ``summary.json`` the run's key, settings, status (``ok``/``diverged``) and final metrics;
- ``weights.npz``  the final W (d, k) and b (k,) (b absent without bias).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_sgd.backends import make_trainer
from mnist_sgd.dataset import N_CLASSES, load_split, one_hot
from mnist_sgd.atomic import write_atomically, write_json
from mnist_sgd.sgd import Params
from mnist_sgd.training import EvalSet, History, train

HISTORY_COLUMNS = (
    "epoch", "updates", "train_loss", "train_accuracy", "val_loss", "val_accuracy",
    "test_loss", "test_accuracy", "train_seconds", "eval_seconds",
)


@dataclass(frozen=True)
class RunSettings:
    """Everything that determines a run's numbers."""

    backend: str
    batch_size: int
    lr: float
    seed: int
    epochs: int
    dtype: str = "float32"
    bias: bool = False
    divergence_factor: float = 100.0


def eval_sets(data_dir: Path, subset: np.ndarray, dtype: str) -> list[EvalSet]:
    """The training subset (rows ``subset`` of the train split), validation and test sets."""
    sets = []
    for name in ("train", "val", "test"):
        split = load_split(data_dir, name, dtype=dtype)
        whole = name != "train" or np.array_equal(subset, np.arange(len(split)))
        images, labels = (split.images, split.labels) if whole else (split.images[subset], split.labels[subset])
        sets.append(EvalSet(name, np.ascontiguousarray(images), one_hot(labels, dtype), labels))
    return sets


def run(settings: RunSettings, sets: list[EvalSet]) -> tuple[History, Params]:
    """Train ``settings.backend`` on ``sets[0]`` (the training subset) from zero weights."""
    train_set = sets[0]
    d = train_set.X.shape[1]
    params = Params.zeros(d, N_CLASSES, settings.dtype, settings.bias)
    trainer = make_trainer(settings.backend, train_set.X, train_set.Y, params, settings.batch_size, settings.lr)
    history = train(trainer, len(train_set.X), sets, epochs=settings.epochs, seed=settings.seed,
                    divergence_factor=settings.divergence_factor)
    return history, trainer.params()


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)  # JSON has no inf/nan


def summary(settings: RunSettings, n_train: int, history: History) -> dict:
    """The run's key, settings, status and final metrics (last recorded epoch)."""
    last = history.rows[-1]
    return {
        **settings.__dict__,
        "n_train": n_train,
        "status": history.status,
        "diverged_epoch": history.diverged_epoch,
        "epochs_run": last["epoch"],
        "updates": last["updates"],
        **{f"final_{k}": _json_number(last[k]) for k in HISTORY_COLUMNS if k.endswith(("_loss", "_accuracy"))},
        "train_seconds": sum(r["train_seconds"] for r in history.rows),
        "eval_seconds": sum(r["eval_seconds"] for r in history.rows),
    }


def history_csv(history: History) -> str:
    """The per-epoch rows as CSV text (floats with full round-trip precision)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HISTORY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in history.rows:
        writer.writerow({k: repr(float(v)) if isinstance(v, float) else v for k, v in row.items()})
    return buffer.getvalue()


def write_outputs(history: History, params: Params, run_summary: dict, history_path: Path,
                  summary_path: Path, weights_path: Path) -> None:
    """Write the three outputs atomically (weights first, summary last)."""
    buffer = io.BytesIO()
    arrays = {"W": np.ascontiguousarray(params.W)} | ({} if params.b is None else {"b": params.b})
    np.savez(buffer, **arrays)
    write_atomically(buffer.getvalue(), Path(weights_path))
    write_atomically(history_csv(history).encode(), Path(history_path))
    write_json(run_summary, summary_path)


def read_history(path: Path) -> list[dict]:
    """Read a history.csv back (numbers as int/float)."""
    with open(path) as fh:
        return [{k: (int(v) if k in ("epoch", "updates") else float(v)) for k, v in row.items()} for row in csv.DictReader(fh)]

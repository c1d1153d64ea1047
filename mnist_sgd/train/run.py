"""One training run end to end: its settings, its data, the training, its summary."""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path

import numpy as np

from mnist_sgd import grid
from mnist_sgd.data.dataset import N_CLASSES, load_split, one_hot, verify_arrays
from mnist_sgd.layout import SPLITS
from mnist_sgd.train.backends import make_trainer
from mnist_sgd.train.lockstep import Lockstep, fit_lockstep
from mnist_sgd.train.loop import EvalSet, History, fit
from mnist_sgd.train.run_files import HISTORY_COLUMNS
from mnist_sgd.train.textbook import Params


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


class NoLearningRateError(RuntimeError):
    """A framework run follows NumPy's lr choice, and NumPy diverged at every lr."""


def resolve_lr(lr_text: str, lr_choice: dict | None) -> float:
    """The lr of a run: the number in its path, or NumPy's choice when the path says "chosen"."""
    if lr_text != grid.CHOSEN:
        return float(lr_text)
    if lr_choice is None or lr_choice["chosen_lr"] is None:
        point = "" if lr_choice is None else f" at B={lr_choice['batch_size']} N'={lr_choice['n_train']}"
        raise NoLearningRateError(f"NumPy diverged at every learning rate{point}: no lr to train this run with")
    return float(lr_choice["chosen_lr"])


def load_eval_sets(
    arrays: dict[tuple[str, str], Path], subset: np.ndarray, dtype: str, manifest: str | Path | None = None
) -> list[EvalSet]:
    """The training subset (rows ``subset`` of the train split), validation and test sets.

    ``arrays`` maps (split, "images" | "labels") to the cached .npy files. ``manifest``: the
    cache's manifest; every array is first checked against the SHA-256 it records
    (:func:`mnist_sgd.data.dataset.verify_arrays`). Rule scripts always pass it; None skips
    the check (tests on arrays they built themselves).

    Raises:
        CorruptCacheError: an array changed on disk after it was built (nothing is trained then).
    """
    return load_eval_sets_of_subsets(arrays, [subset], dtype, manifest)[0]


def load_eval_sets_of_subsets(
    arrays: dict[tuple[str, str], Path], subsets: list[np.ndarray], dtype: str, manifest: str | Path | None = None
) -> list[list[EvalSet]]:
    """:func:`load_eval_sets` of each of ``subsets``, the arrays checked and read once.

    The validation and test sets, and a training subset equal to an earlier one (every seed's
    subset of the whole split), are the same objects in every list: their nonzero pixels
    (``EvalSet.rows``) are found once for every run that reads them.
    """
    if manifest is not None:
        verify_arrays(arrays, manifest)
    # the files' own dtype, mapped: a subset's rows are converted to ``dtype`` after they are
    # picked (the float64 floors of a small subset then convert no other rows)
    splits = {name: load_split(arrays[(name, "images")], arrays[(name, "labels")], dtype=None) for name in SPLITS}

    def eval_set(name: str, rows: np.ndarray | None = None) -> EvalSet:
        split = splits[name]
        images, labels = (split.images, split.labels) if rows is None else (split.images[rows], split.labels[rows])
        return EvalSet(name, np.ascontiguousarray(images, dtype=dtype), one_hot(labels, dtype), labels)

    held_out = [eval_set(name) for name in SPLITS if name != "train"]
    made: list[tuple[np.ndarray, EvalSet]] = []  # each distinct subset's training set
    per_subset = []
    for subset in subsets:
        train = next((s for rows, s in made if np.array_equal(subset, rows)), None)
        if train is None:
            whole = np.array_equal(subset, np.arange(len(splits["train"])))
            train = eval_set("train", None if whole else subset)
            made.append((subset, train))
        per_subset.append([train, *held_out])
    return per_subset


def train_run(
    settings: RunSettings, sets: list[EvalSet], on_epoch: Callable[[dict], None] | None = None
) -> tuple[History, Params]:
    """Train ``settings.backend`` on ``sets[0]`` (the training subset) from zero weights.

    ``on_epoch(row)`` sees each epoch's row of the history as soon as it is recorded.
    """
    train_set = sets[0]
    d = train_set.X.shape[1]
    params = Params.zeros(d, N_CLASSES, settings.dtype, settings.bias)
    trainer = make_trainer(
        settings.backend,
        train_set.X,
        train_set.Y,
        params,
        settings.batch_size,
        settings.lr,
        settings.seed,
        rows=train_set.rows,  # built once, for training and for evaluation
    )
    history = fit(
        trainer,
        len(train_set.X),
        sets,
        epochs=settings.epochs,
        seed=settings.seed,
        divergence_factor=settings.divergence_factor,
        on_epoch=on_epoch,
    )
    return history, trainer.params()


def trains_in_lockstep(runs: list[RunSettings]) -> bool:
    """Whether ``runs`` train together (:mod:`mnist_sgd.train.lockstep`): several NumPy runs
    that differ in nothing but their lr."""
    first = runs[0]
    return len(runs) > 1 and first.backend == grid.NUMPY and all(replace(r, lr=first.lr) == first for r in runs)


def train_runs(
    runs: list[RunSettings], sets: list[EvalSet], on_epoch: Callable[[int, dict], None] | None = None
) -> list[tuple[History, Params]]:
    """Train every run of ``runs`` on ``sets[0]``: in lockstep when :func:`trains_in_lockstep`,
    else one after another (:func:`train_run`); each run's history and parameters, in order.

    ``on_epoch(i, row)`` sees run i's row of each epoch as soon as it is recorded.
    """
    if not trains_in_lockstep(runs):
        return [train_run(s, sets, partial(on_epoch, i) if on_epoch else None) for i, s in enumerate(runs)]
    first, train_set = runs[0], sets[0]
    start = Params.zeros(train_set.X.shape[1], N_CLASSES, first.dtype, first.bias)
    models = Lockstep(train_set.X, train_set.Y, start, first.batch_size, [r.lr for r in runs], rows=train_set.rows)
    return fit_lockstep(
        models,
        len(train_set.X),
        sets,
        epochs=first.epochs,
        seed=first.seed,
        divergence_factor=first.divergence_factor,
        on_epoch=on_epoch,
    )


def execution_host(env: dict[str, str] | None = None) -> dict:
    """Where this process runs: the host and, under SLURM, the job (and array task) ids."""
    env = os.environ if env is None else env
    return {
        "host": platform.node(),
        "slurm_job_id": env.get("SLURM_JOB_ID"),
        "slurm_array_job_id": env.get("SLURM_ARRAY_JOB_ID"),
        "slurm_array_task_id": env.get("SLURM_ARRAY_TASK_ID"),
    }


def _json_number(x: float) -> float | str:
    return x if math.isfinite(x) else str(x)  # JSON has no inf/nan


def run_summary(settings: RunSettings, lr_path: str, n_train: int, history: History, lockstep_models: int = 1) -> dict:
    """The run's key, settings, status, final metrics (last recorded epoch) and where it ran.

    ``lockstep_models``: the models its job trained together (1: alone); its seconds are then
    its share of the job's (:mod:`mnist_sgd.train.lockstep`).
    """
    last = history.rows[-1]
    return {
        **asdict(settings),
        "lr_path": lr_path,
        "n_train": n_train,
        "status": history.status,
        "diverged_epoch": history.diverged_epoch,
        "epochs_run": last["epoch"],
        "updates": last["updates"],
        **{f"final_{k}": _json_number(last[k]) for k in HISTORY_COLUMNS if k.endswith(("_loss", "_accuracy"))},
        "train_seconds": sum(r["train_seconds"] for r in history.rows),
        "eval_seconds": sum(r["eval_seconds"] for r in history.rows),
        "lockstep_models": lockstep_models,
        "execution": execution_host(),
    }


def epoch_line(lr_text: str, row: dict, epochs: int) -> str:
    """One epoch of one run as a line of the job's log (``tail -f`` shows where a job is)."""
    metrics = ", ".join(
        f"{name} loss {row[f'{name}_loss']:.6g} acc {row[f'{name}_accuracy']:.4f}" for name in ("train", "val", "test")
    )
    seconds = f"{row['train_seconds']:.2f} s training + {row['eval_seconds']:.2f} s evaluation"
    return f"lr {lr_text} epoch {row['epoch']}/{epochs}: {metrics}; {seconds}"

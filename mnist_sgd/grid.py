"""The experiment grid, derived from the validated config in this one place.

A *point* is a (batch size B, training-set size N') pair; a *run* is one training run:
(backend, B, N', lr, seed). The runs of a point's configured lr grid (one seed) are trained by
one job, in lockstep; every other run by a job of its own (:func:`in_grid_job`). The lr search
trains on :func:`search_seeds`; the other seeds train each point's chosen lr only.
The assignment's grid is B in {1, 10, 100, 1000} at the full training set plus N' in
{100, 500, 1000, 10000} at B = 100; the shared point (B = 100, full set) appears once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mnist_sgd import layout

NUMPY = "numpy"
#: The framework backends that follow the shared minibatch order (compared to rounding error),
#: in the order the report shows them.
FRAMEWORKS = ("tensorflow", "pytorch")
#: The frameworks as a student writes them, with their own shuffling (compared statistically).
IDIOMATIC = ("keras_fit", "pytorch_loader")
BACKENDS = (NUMPY, *FRAMEWORKS, *IDIOMATIC)
#: How the report names each backend.
BACKEND_NAMES = {
    NUMPY: "NumPy",
    "tensorflow": "TensorFlow",
    "pytorch": "PyTorch",
    "keras_fit": "Keras model.fit",
    "pytorch_loader": "PyTorch DataLoader",
}
#: Path value of the lr of a framework run that follows NumPy's lr choice at its point.
CHOSEN = "chosen"


def format_lr(lr: float) -> str:
    """Canonical text of a learning rate for paths: positional, shortest round-trip (0.001, 0.5)."""
    return np.format_float_positional(float(lr), trim="-")


@dataclass(frozen=True, order=True)
class Point:
    """A (batch size, training-set size) point of the grid."""

    batch_size: int
    n_train: int


@dataclass(frozen=True, order=True)
class Run:
    """One training run; ``lr`` is a number, or :data:`CHOSEN` for a framework run that
    follows NumPy's choice at its point (read at run time)."""

    backend: str
    batch_size: int
    n_train: int
    lr: float | str
    seed: int

    @property
    def point(self) -> Point:
        return Point(self.batch_size, self.n_train)

    @property
    def lr_text(self) -> str:
        """The lr as it appears in paths: :func:`format_lr` of the number, or :data:`CHOSEN`."""
        return self.lr if isinstance(self.lr, str) else format_lr(self.lr)

    @property
    def fields(self) -> dict[str, str | int]:
        """The run as the wildcards of rule ``train`` (and the arguments of mnist_sgd.layout)."""
        return {
            "backend": self.backend,
            "batch": self.batch_size,
            "n": self.n_train,
            "lr": self.lr_text,
            "seed": self.seed,
        }


def batch_points(config: dict) -> list[Point]:
    """Question 3: every batch size on the full training set."""
    return [Point(b, config["data"]["n_train"]) for b in config["grid"]["batch_sizes"]]


def subset_points(config: dict) -> list[Point]:
    """Question 5: every N' at the subset batch size."""
    b = config["grid"]["subset_batch_size"]
    return [Point(b, n) for n in config["grid"]["subset_sizes"]]


def comparison_point(config: dict) -> Point:
    """Question 6: the point the frameworks are checked at (B = 100 on the full set, as assigned)."""
    return Point(config["grid"]["subset_batch_size"], config["data"]["n_train"])


def all_points(config: dict) -> list[Point]:
    """Every point, each once, sorted."""
    return sorted(set(batch_points(config)) | set(subset_points(config)))


def _first_or_all(config: dict, choice: str) -> list[int]:
    seeds = config["training"]["seeds"]
    return list(seeds) if choice == "all" else [seeds[0]]


def search_seeds(config: dict) -> list[int]:
    """The seeds the lr search trains every lr it tries on (config ``lr_search.seeds``): the
    first of ``training.seeds``, or all of them."""
    return _first_or_all(config, config["lr_search"]["seeds"])


def framework_seeds(config: dict) -> list[int]:
    """The seeds the framework backends train (config ``frameworks.seeds``)."""
    return _first_or_all(config, config["frameworks"]["seeds"])


def numpy_runs(config: dict) -> list[Run]:
    """Every NumPy run of the configured lr grid: each point at each learning rate and search seed."""
    return [
        Run(NUMPY, p.batch_size, p.n_train, lr, seed)
        for p in all_points(config)
        for lr in config["grid"]["learning_rates"]
        for seed in search_seeds(config)
    ]


def numpy_chosen_runs(config: dict) -> list[Run]:
    """The NumPy runs of the seeds the lr search does not train: each point at its chosen lr
    (path value :data:`CHOSEN`, read at run time from the point's lr choice)."""
    return [
        Run(NUMPY, p.batch_size, p.n_train, CHOSEN, seed) for p in all_points(config) for seed in other_seeds(config)
    ]


def framework_points(config: dict) -> list[Point]:
    """The points the framework backends train (config ``frameworks.points``)."""
    if not config["frameworks"]["backends"]:
        return []
    return all_points(config) if config["frameworks"]["points"] == "all" else [comparison_point(config)]


def framework_runs(config: dict) -> list[Run]:
    """Runs of the frameworks that follow the shared minibatch order (:data:`FRAMEWORKS`) at
    :func:`framework_points`: at NumPy's chosen lr (``frameworks.learning_rates: chosen``) or
    at every lr of the grid (``all``)."""
    if config["frameworks"]["learning_rates"] == "all":
        lrs = [format_lr(lr) for lr in config["grid"]["learning_rates"]]
    else:
        lrs = [CHOSEN]
    return [
        Run(backend, p.batch_size, p.n_train, lr, seed)
        for p in framework_points(config)
        for backend in config["frameworks"]["backends"]
        if backend in FRAMEWORKS
        for lr in lrs
        for seed in framework_seeds(config)
    ]


def idiomatic_runs(config: dict) -> list[Run]:
    """Runs of the frameworks as a student writes them (:data:`IDIOMATIC`, their own shuffling):
    at the comparison point and NumPy's chosen lr, on :func:`framework_seeds`."""
    p = comparison_point(config)
    return [
        Run(backend, p.batch_size, p.n_train, CHOSEN, seed)
        for backend in config["frameworks"]["backends"]
        if backend in IDIOMATIC
        for seed in framework_seeds(config)
    ]


def grid_lr_texts(config: dict) -> list[str]:
    """The configured lr grid as it appears in paths: the lrs rule ``train_grid`` trains in one job."""
    return [format_lr(lr) for lr in config["grid"]["learning_rates"]]


def in_grid_job(config: dict, run: Run) -> bool:
    """Whether ``run`` is trained by its point's grid job (rule ``train_grid``, every lr of the
    configured grid one after another in one process) rather than by a job of its own (rule
    ``train``: the lrs the lr search adds, and the runs at NumPy's "chosen" lr)."""
    return run.lr_text in grid_lr_texts(config) and run.seed in search_seeds(config)


def other_seeds(config: dict) -> list[int]:
    """The seeds the lr search leaves out: they train each NumPy point's chosen lr only."""
    searched = set(search_seeds(config))
    return [seed for seed in config["training"]["seeds"] if seed not in searched]


def in_seeds_job(config: dict, run: Run) -> bool:
    """Whether ``run`` is trained by its point's seeds job (rule ``train_seeds``: NumPy's chosen lr
    on every seed the lr search leaves out, one after another in one process)."""
    return run.backend == NUMPY and run.lr == CHOSEN and run.seed in other_seeds(config)


def training_benchmark(config: dict, run: Run) -> str:
    """The benchmark file of the job that trained ``run``: its point's grid job (rule
    ``train_grid``, shared by the grid's lrs), its point's seeds job (rule ``train_seeds``,
    shared by the other seeds) or its own (rule ``train``)."""
    if in_grid_job(config, run):
        return layout.benchmark("train_grid", layout.grid_job_key(run.backend, run.batch_size, run.n_train, run.seed))
    if in_seeds_job(config, run):
        return layout.benchmark("train_seeds", layout.point_key(run.backend, run.batch_size, run.n_train))
    return layout.benchmark("train", layout.run_key(**run.fields))


def floor_benchmark(n: int) -> str:
    """The benchmark file of the job that computed the floors of every seed's subset of size ``n``
    (rule ``least_squares_floor``)."""
    return layout.benchmark("least_squares_floor", layout.floor_job_key(n))


def subset_keys(config: dict) -> list[tuple[int, int]]:
    """Every (N', seed) training subset the grid uses."""
    return sorted({(p.n_train, s) for p in all_points(config) for s in config["training"]["seeds"]})

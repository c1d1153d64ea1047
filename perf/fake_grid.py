"""The finished training side of a whole grid, fabricated: every file the report rules read,
with random but plausible numbers, written by the workflow's own writers.

:func:`fabricate` fills a workflow working directory that already holds the cached data
(``results/data/``, ``resources/mnist/``, as rules ``build_arrays`` and ``mnist_sources``
leave them) with what the training side of the workflow would have written for ``config``:

- the training subsets (:func:`mnist_sgd.train.minibatches.draw_subset`, the real draw);
- every run of the lr search, as ``history.csv``, ``summary.json`` and ``weights.npz``
  (:func:`mnist_sgd.train.run_files.write_run`, :func:`mnist_sgd.train.run.run_summary`) and
  its Snakemake benchmark file (Snakemake's own writer);
- the rounds of the lr search and the lr choices, computed by the real
  :func:`mnist_sgd.train.lr_choice.search_round` from the fabricated runs, so the extra rounds
  and their learning rates are the ones the workflow would have asked for;
- the framework runs at NumPy's choice and their comparisons
  (:func:`mnist_sgd.train.consistency.compare_with_reference`);
- the least-squares floors and their benchmark files.

Files are written in the order the workflow makes them (a file is never older than one it
was made from), so Snakemake sees everything up to date and plans only the report rules.

The numbers come from a small model of what real runs show (``perf``-only, no training): the
validation accuracy peaks at a learning rate that grows with B and shrinks with N', every
lr above an edge that shrinks with B diverges in the first epochs, the training loss decays
towards the subset's least-squares floor L* and never below it, the accuracies are counts
over the images of each set, and the weights are a least-squares solution plus noise (so the
paired tests compare real predictions). Each run has its own random stream, derived from its
key, so a run's numbers do not depend on the order of fabrication.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from snakemake.benchmark import BenchmarkRecord, write_benchmark_records

from mnist_sgd import grid, layout
from mnist_sgd.atomic import write_json, write_npy
from mnist_sgd.train.consistency import compare_with_reference
from mnist_sgd.train.loop import INITIAL_LOSS_ZERO_INIT, History
from mnist_sgd.train.lr_choice import RunRecord, SearchSettings, lr_choice_record, rounds_so_far, search_round
from mnist_sgd.train.minibatches import draw_subset
from mnist_sgd.train.run import RunSettings, run_summary
from mnist_sgd.train.run_files import read_history, read_summary, write_run
from mnist_sgd.train.textbook import Params

#: Rank of the full MNIST design matrix (constant-zero pixels): subsets up to this size fit exactly (L* = 0).
FULL_RANK = 712
#: Seconds a training job spends outside its epochs (start-up, imports, loading), and its peak memory (MB).
JOB_OVERHEAD = {"numpy": 3.0, "tensorflow": 9.0, "pytorch": 5.0, "keras_fit": 10.0, "pytorch_loader": 5.5}
JOB_RSS_MB = {"numpy": 280.0, "tensorflow": 1100.0, "pytorch": 650.0, "keras_fit": 1150.0, "pytorch_loader": 700.0}
#: Training time per epoch relative to NumPy's.
EPOCH_COST = {"numpy": 1.0, "tensorflow": 1.5, "pytorch": 1.2, "keras_fit": 4.0, "pytorch_loader": 3.0}


# ---- the model of a run ---------------------------------------------------------------


def best_val_accuracy(n: int) -> float:
    """Validation accuracy at the best lr after many epochs on N' = ``n`` images (0.66 at 100, 0.86 at 50,000)."""
    return 0.865 - 0.21 * (100 / n) ** 0.6


def best_val_loss(n: int) -> float:
    return 0.19 + 0.11 * (100 / n) ** 0.6


def best_lr(batch: int, n: int) -> float:
    """The lr the validation accuracy peaks at: larger for larger B and for fewer updates (small N')."""
    return 0.003 * (batch / 100) ** 0.5 * (50_000 / n) ** 0.3


def diverging_lr(batch: int) -> float:
    """Every lr at or above this diverges at batch size ``batch``."""
    return 0.02 if batch == 1 else 0.04 if batch < 100 else 0.07


def floor_loss(n: int) -> float:
    """L* of a subset of ``n`` images: zero (rounding) up to the rank, 0.197 on 50,000."""
    if n <= FULL_RANK:
        return 7e-30
    return 0.197 * (1 - FULL_RANK / n) / (1 - FULL_RANK / 50_000)


def _rng(*key) -> np.random.Generator:
    """A random stream of its own per key (text hashed stably: no dependence on Python's hash seed)."""
    words = [
        int(k) if isinstance(k, (int, np.integer)) else int.from_bytes(str(k).encode()[:16], "little") for k in key
    ]
    return np.random.default_rng(np.random.SeedSequence(words))


def _count(fraction: float, n: int) -> float:
    """A fraction of ``n`` images, as a count over n."""
    return round(min(max(fraction, 0.0), 1.0) * n) / n


class RunModel:
    """Plausible histories and weights of runs on the workflow's cached data (``root``)."""

    def __init__(self, root: Path, config: dict):
        self.config = config
        self.epochs = config["training"]["epochs"]
        labels = {s: np.load(root / layout.array(s, "labels"), allow_pickle=False) for s in layout.SPLITS}
        self.labels = labels
        # epoch 0 (zero weights: every score ties, argmax says 0): the fraction of zeros in each set
        self.zero_fraction = {s: float(np.mean(v == 0)) for s, v in labels.items()}
        train = labels["train"][: config["data"]["n_train"]]
        self.subset_zero_fraction = {
            (n, seed): float(np.mean(train[draw_subset(len(train), n, seed)] == 0))
            for n, seed in grid.subset_keys(config)
        }
        # the weights every run's are a noisy copy of: least squares (slightly ridged) on 10,000 images
        X = np.load(root / layout.array("train", "images"), allow_pickle=False)[:10_000].astype(np.float64)
        Y = np.eye(10)[labels["train"][:10_000]]
        self.W0 = np.linalg.solve(X.T @ X + np.eye(X.shape[1]), X.T @ Y).astype(np.float32)

    def diverges(self, batch: int, lr: float) -> bool:
        return lr >= diverging_lr(batch)

    def history(self, run: grid.Run, lr: float) -> tuple[History, float]:
        """The run's per-epoch rows (as :func:`mnist_sgd.train.loop.fit` records them) and the
        noise level of its weights."""
        b, n, epochs = run.batch_size, run.n_train, self.epochs
        rng = _rng(run.backend, b, n, grid.format_lr(lr), run.seed)
        sizes = {"train": n, "val": len(self.labels["val"]), "test": len(self.labels["test"])}
        per_epoch = math.ceil(n / b)
        epoch_seconds = per_epoch * (3e-5 + 8e-7 * b) * EPOCH_COST.get(run.backend, 1.0)
        eval_seconds = 0.065 * (n + 20_000) / 70_000
        start = {"loss": INITIAL_LOSS_ZERO_INIT, **{s: self.zero_fraction[s] for s in ("val", "test")}}
        start["train"] = self.subset_zero_fraction[(n, run.seed)]

        def row(epoch: int, metrics: dict) -> dict:
            out = {"epoch": epoch, "updates": epoch * per_epoch}
            for s in ("train", "val", "test"):
                out[f"{s}_loss"] = metrics[f"{s}_loss"]
                out[f"{s}_accuracy"] = _count(metrics[f"{s}_accuracy"], sizes[s])
            out["train_seconds"] = 0.0 if epoch == 0 else epoch_seconds * float(rng.uniform(0.9, 1.15))
            out["eval_seconds"] = eval_seconds * float(rng.uniform(0.9, 1.15))
            return out

        first = {f"{s}_loss": start["loss"] for s in ("train", "val", "test")}
        first |= {f"{s}_accuracy": start[s] for s in ("train", "val", "test")}
        rows = [row(0, first)]
        if self.diverges(b, lr):
            edge = diverging_lr(b)
            diverged_epoch = 1 if lr >= 2 * edge else int(rng.integers(1, 4))
            for epoch in range(1, diverged_epoch):  # growing, not yet past the divergence factor
                loss = 0.5 * 4.0**epoch
                rows.append(row(epoch, {**{f"{s}_loss": loss * 1.02 for s in ("train", "val", "test")},
                                        **{f"{s}_accuracy": 0.55 for s in ("train", "val", "test")}}))  # fmt: skip
            loss = math.inf if lr >= 10 * edge else 0.5 * 10 ** float(rng.uniform(2.5, 8))
            rows.append(row(diverged_epoch, {**{f"{s}_loss": loss for s in ("train", "val", "test")},
                                             **{f"{s}_accuracy": 0.1 for s in ("train", "val", "test")}}))  # fmt: skip
            return History(rows, "diverged", diverged_epoch), math.inf
        d = math.log10(lr / best_lr(b, n))
        edge_penalty = 0.05 * max(0.0, lr / diverging_lr(b) - 0.6)
        val_acc = best_val_accuracy(n) - 0.01 * d * d - edge_penalty + rng.normal(0, 0.0015)
        final = {
            "val_accuracy": val_acc,
            "val_loss": best_val_loss(n) + 0.008 * d * d + 2 * edge_penalty + rng.normal(0, 0.0008),
            "test_accuracy": val_acc - 0.008 + rng.normal(0, 0.0015),
            "train_accuracy": val_acc + 0.004 + 0.33 * (100 / n) ** 0.7 - 0.005 * d * d,
        }
        final["test_loss"] = final["val_loss"] + 0.006 + rng.normal(0, 0.0008)
        floor = floor_loss(n)
        gap = (0.004 + 0.004 * d * d + edge_penalty) * float(rng.uniform(0.95, 1.05))
        tau = min(max(0.8 * (best_lr(b, n) / lr) ** 0.5 * (50_000 / n) ** 0.15, 0.3), 40.0)
        jitter = 0.003 * min(1.0, lr / best_lr(b, n))
        for epoch in range(1, epochs + 1):
            decay = math.exp(-epoch / tau)
            noise = 1 + jitter * float(np.clip(rng.normal(), -3, 3)) * (epoch < epochs)
            metrics = {"train_loss": floor + (gap + (0.5 - floor - gap) * decay) * noise}
            for s in ("val", "test"):
                metrics[f"{s}_loss"] = (final[f"{s}_loss"] + (0.5 - final[f"{s}_loss"]) * decay) * noise
            for s in ("train", "val", "test"):
                target = final[f"{s}_accuracy"]
                metrics[f"{s}_accuracy"] = (
                    target - (target - start[s]) * decay + rng.normal(0, 0.001) * (epoch < epochs)
                )
            rows.append(row(epoch, metrics))
        return History(rows), 0.3 + 12 * max(best_val_accuracy(n) - val_acc, 0.0)

    def params(self, run: grid.Run, lr: float, noise: float) -> Params:
        """Final weights: the least-squares W plus noise (huge values for a diverged run)."""
        rng = _rng("weights", run.backend, run.batch_size, run.n_train, grid.format_lr(lr), run.seed)
        shape = self.W0.shape
        if not math.isfinite(noise):
            return Params(rng.normal(0, 1e6, shape).astype(np.float32))
        return Params(self.W0 + (noise * float(self.W0.std())) * rng.standard_normal(shape, dtype=np.float32))


# ---- writing it -----------------------------------------------------------------------


def write_benchmark(path: str | Path, seconds: float, max_rss_mb: float) -> None:
    """A benchmark file as Snakemake's ``benchmark:`` directive writes it (Snakemake's own writer)."""
    record = BenchmarkRecord(running_time=seconds, max_rss=max_rss_mb, max_vms=max_rss_mb * 1.3,
                             max_uss=max_rss_mb * 0.95, max_pss=max_rss_mb * 0.97, io_in=0.0, io_out=0.05,
                             cpu_usage=seconds * 0.95, cpu_time=seconds * 0.93)  # fmt: skip
    record.data_collected = True
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_benchmark_records([record], str(path), False)


class Fabricator:
    """Writes the runs of one working directory (``root``), in the workflow's order."""

    def __init__(self, root: Path, config: dict):
        self.root, self.config = Path(root), config
        self.model = RunModel(self.root, config)
        t = config["training"]
        self.settings = {"epochs": t["epochs"], "dtype": t["dtype"], "bias": t["bias"],
                         "divergence_factor": t["divergence_factor"]}  # fmt: skip
        self.counts = {"runs": 0, "rounds": 0, "lr_choices": 0, "comparisons": 0, "floors": 0, "subsets": 0}
        self.grid_job_seconds: dict[Path, float] = {}  # benchmark file of a grid job -> its seconds so far

    def path(self, relative: str) -> Path:
        return self.root / relative

    def run_paths(self, run: grid.Run) -> dict[str, Path]:
        return {name.split(".")[0]: self.path(layout.run_file(name, **run.fields)) for name in layout.RUN_FILES}

    def write_run(self, run: grid.Run, lr: float, history: History | None = None, params: Params | None = None) -> None:
        """One training run's outputs: history, summary, weights, and its job's benchmark file
        (a grid job's: rewritten with every run it trained)."""
        if history is None:
            history, noise = self.model.history(run, lr)
            params = self.model.params(run, lr, noise)
        settings = RunSettings(backend=run.backend, batch_size=run.batch_size, lr=lr, seed=run.seed, **self.settings)
        files = self.run_paths(run)
        summary = run_summary(settings, run.lr_text, run.n_train, history)
        write_run(history, params, summary, files["history"], files["summary"], files["weights"])
        rng = _rng("job", run.backend, run.batch_size, run.n_train, run.lr_text, run.seed)
        seconds = (summary["train_seconds"] + summary["eval_seconds"]) * float(rng.uniform(1.0, 1.1))
        path = self.path(grid.training_benchmark(self.config, run))
        # a grid job's file holds its runs' time so far and one overhead
        seconds += self.grid_job_seconds.get(path, JOB_OVERHEAD.get(run.backend, 3.0))
        if grid.in_grid_job(self.config, run):
            self.grid_job_seconds[path] = seconds
        write_benchmark(path, seconds, JOB_RSS_MB.get(run.backend, 300.0) * float(rng.uniform(0.97, 1.03)))
        self.counts["runs"] += 1

    def subsets_and_floors(self) -> None:
        n_total = self.config["data"]["n_train"]
        for n, seed in grid.subset_keys(self.config):
            write_npy(draw_subset(n_total, n, seed), self.path(layout.subset(n, seed)))
            self.counts["subsets"] += 1
        for n, seed in grid.subset_keys(self.config):
            rng = _rng("floor", n, seed)
            lam = 38.3 * float(rng.uniform(0.98, 1.05))
            fl = floor_loss(n)
            exact = n <= FULL_RANK
            record = {
                "n": n,
                "rank": min(n, FULL_RANK),
                "bias": self.config["training"]["bias"],
                "train_loss": fl,
                "train_accuracy": 1.0 if exact else _count(0.85 + 0.3 * (FULL_RANK / n), n),
                "val_loss": 0.46 if exact else 0.19 + 5 * FULL_RANK / n,
                "val_accuracy": _count(best_val_accuracy(n) - 0.06 * (100 / n) ** 0.3, 10_000),
                "test_loss": 0.46 if exact else 0.2 + 1.2 * FULL_RANK / n,
                "test_accuracy": _count(best_val_accuracy(n) - 0.065 * (100 / n) ** 0.3, 10_000),
                "floor_loss": fl,
                "lambda_max": lam,
                "gd_lr_bound": 2 / lam,
                "n_train": n,
                "seed": seed,
            }
            write_json(record, self.path(layout.floor(n, seed)))
            self.counts["floors"] += 1
        for n in sorted({n for n, _ in grid.subset_keys(self.config)}):  # one floor job per N', every seed
            rng = _rng("floor job", n)
            write_benchmark(
                self.path(grid.floor_benchmark(n)),
                3.0 + 4.0 * n / 50_000 * float(rng.uniform(0.9, 1.2)) * len(self.config["training"]["seeds"]),
                300.0 + 500.0 * n / 50_000,
            )

    def lr_search(self, backend: str, point: grid.Point) -> None:
        """Every round of the lr search at one point, as checkpoint lr_search_round runs them (a
        round after the one that proposed nothing tries nothing new), then the point's lr
        choice (rule choose_lr: the round that ended the search)."""
        c = self.config
        settings = SearchSettings.from_config(c["lr_search"], c["data"]["n_val"])
        seeds = c["training"]["seeds"]
        lrs, new, previous, rounds = [], list(c["grid"]["learning_rates"]), None, []
        for r in range(c["lr_search"]["max_rounds"] + 1):
            for lr in new:
                for seed in seeds:
                    self.write_run(grid.Run(backend, point.batch_size, point.n_train, lr, seed), float(lr))
            lrs += new
            if previous is not None and not previous["next_lrs"]:  # ended: repeated (scripts/lr_search_round.py)
                previous = previous | {"round": r}
            else:
                runs = []
                for lr in lrs:
                    for seed in seeds:
                        files = self.run_paths(grid.Run(backend, point.batch_size, point.n_train, lr, seed))
                        runs.append(RunRecord(read_summary(files["summary"]), read_history(files["history"])))
                previous = search_round(runs, settings, r, rounds_so_far(previous, c["grid"]["learning_rates"]))
            write_json(previous, self.path(layout.lr_round(backend, point.batch_size, point.n_train, r)))
            rounds.append(previous)
            self.counts["rounds"] += 1
            new = previous["next_lrs"]
        final = next(r for r in rounds if not r["next_lrs"])
        choice = lr_choice_record(backend, point.batch_size, point.n_train, final, settings, c["training"]["epochs"],
                                  len(seeds))  # fmt: skip
        write_json(choice, self.path(layout.lr_choice(backend, point.batch_size, point.n_train)))
        self.counts["lr_choices"] += 1

    def chosen_runs(self) -> None:
        """The framework runs at NumPy's chosen lr (the same minibatches: NumPy's history and
        weights up to float32 rounding), the idiomatic runs (their own shuffling: a run of
        their own), and the comparisons of the former with NumPy."""
        c = self.config
        for run in [r for r in grid.framework_runs(c) if r.lr == grid.CHOSEN] + grid.idiomatic_runs(c):
            choice = json.loads(self.path(layout.lr_choice(grid.NUMPY, run.batch_size, run.n_train)).read_text())
            lr = choice["chosen_lr"]
            if lr is None:  # NumPy diverged at every lr: the real job fails (NoLearningRateError)
                raise ValueError(f"the model diverged at every lr at B={run.batch_size} N'={run.n_train}")
            if run.backend in grid.FRAMEWORKS:
                ref = replace(run, backend=grid.NUMPY, lr=lr)
                history, noise = self.model.history(ref, lr)
                W = self.model.params(ref, lr, noise).W
                rng = _rng("rounding", run.backend, run.seed)
                for row in history.rows[1:]:
                    for k in ("train_loss", "val_loss", "test_loss"):
                        row[k] *= 1 + 2e-7 * float(rng.normal())
                params = Params(W + 1e-6 * rng.standard_normal(W.shape, dtype=np.float32))
                self.write_run(run, lr, history, params)
            else:
                self.write_run(run, lr)
        for run in [r for r in grid.framework_runs(c) if r.lr == grid.CHOSEN]:
            choice = json.loads(self.path(layout.lr_choice(grid.NUMPY, run.batch_size, run.n_train)).read_text())
            refs = [self.run_paths(grid.Run(grid.NUMPY, run.batch_size, run.n_train, choice["chosen_lr"], run.seed))]
            tolerances = c["consistency"][c["training"]["dtype"]]
            result = compare_with_reference(self.run_paths(run), refs, tolerances, c["training"]["dtype"])
            write_json(result, self.path(layout.consistency(**run.fields)))
            self.counts["comparisons"] += 1


def lr_choice_points(config: dict) -> list[tuple[str, grid.Point]]:
    """(backend, point) of every lr search, as in workflow/rules/common.smk."""
    return [(grid.NUMPY, p) for p in grid.all_points(config)]


def fabricate(root: str | Path, config: dict) -> dict[str, int]:
    """Write the training side of ``config``'s grid into the working directory ``root`` (which
    holds the cached data); return how many files of each kind were written.

    Raises:
        NotImplementedError: ``frameworks.learning_rates: all`` (framework lr searches are not modelled).
    """
    if config["frameworks"]["learning_rates"] == "all":
        raise NotImplementedError("frameworks.learning_rates: all is not fabricated; use chosen (the default)")
    fab = Fabricator(Path(root), config)
    fab.subsets_and_floors()
    for backend, point in lr_choice_points(config):
        fab.lr_search(backend, point)
    fab.chosen_runs()
    return fab.counts

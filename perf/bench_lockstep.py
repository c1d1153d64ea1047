"""Lockstep against solo: NumPy job time per model of a grid job (prints; never asserts).

A grid job trains K lrs of one (B, N', seed). Solo: one run after another
(:func:`mnist_sgd.train.run.train_run`); lockstep: all K at once
(:mod:`mnist_sgd.train.lockstep`). Both are timed here, in one process, one thread, on the
real MNIST arrays (50,000 training images, evaluation on train + val + test after every
epoch, as in the jobs), alternately, best of ``--repeats``; job time per model = the
wall time of training and evaluating all K runs / K. The process start, imports and the
data load, the same for both, are left out. Target: lockstep at least 3 x lower than solo
at B = 1 and B = 100.

Two sets of K = 7 lrs per B: seven stable ones (every model trains every epoch: the cost
per model-epoch), and the default grid's (0.001 ... 0.5; the large ones diverge in the
first epochs and leave the pass, as in a real job).

Usage (from the repository root, after the data rule built results/data):
    python -m perf.bench_lockstep [--root .] [--epochs 3] [--repeats 3]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads its BLAS: as the jobs (threads: 1)

import argparse  # noqa: E402
import time  # noqa: E402

from mnist_sgd.data.dataset import load_cached_split, one_hot  # noqa: E402
from mnist_sgd.train.loop import EvalSet  # noqa: E402
from mnist_sgd.train.run import RunSettings, train_run, train_runs  # noqa: E402

#: Seven lrs per B at which every model trains every epoch on the full training set.
STABLE_LRS = {1: [1e-4, 2e-4, 3e-4, 5e-4, 1e-3, 2e-3, 3e-3], 100: [1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 2e-2, 3e-2]}
#: The default configuration's grid (config.yaml grid.learning_rates).
GRID_LRS = [0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.5]


def load(root: str) -> list[EvalSet]:
    """The cached training, validation and test sets in float32, as a job loads them."""
    sets = []
    for name in ("train", "val", "test"):
        split = load_cached_split(root, name)
        sets.append(EvalSet(name, split.images, one_hot(split.labels), split.labels))
    for s in sets:
        s.rows  # noqa: B018 (the compressed rows, built once per job in both modes)
    return sets


def job_seconds(runs: list[RunSettings], sets: list[EvalSet], lockstep: bool) -> float:
    """Wall seconds to train and evaluate every run of ``runs``, together or one after another."""
    t0 = time.perf_counter()
    if lockstep:
        train_runs(runs, sets)
    else:
        for settings in runs:
            train_run(settings, sets)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="working directory of the workflow (holds results/data)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sets = load(args.root)
    print(f"{os.uname().machine}, {os.cpu_count()} cores, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"NumPy job time per model, K = 7 lrs, {len(sets[0].X)} training images, {args.epochs} epochs "
        f"(+ epoch 0's evaluation), best of {args.repeats}:"
    )
    print(f"{'B':>5} {'lrs':<7} {'solo':>10} {'lockstep':>10} {'solo/lockstep':>14}  target")
    warm = [RunSettings("numpy", 100, lr, seed=0, epochs=1) for lr in (1e-3, 2e-3)]
    train_runs(warm, [sets[0]] * 3)  # compiled kernels loaded before the clock starts
    train_run(warm[0], [sets[0]] * 3)
    for B in (1, 100):
        for name, lrs in (("stable", STABLE_LRS[B]), ("grid", GRID_LRS)):
            runs = [RunSettings("numpy", B, lr, seed=0, epochs=args.epochs) for lr in lrs]
            solo, together = [], []
            for _ in range(args.repeats):  # alternately: a change in load hits both
                solo.append(job_seconds(runs, sets, lockstep=False))
                together.append(job_seconds(runs, sets, lockstep=True))
            s, t = min(solo) / len(runs), min(together) / len(runs)
            print(f"{B:>5} {name:<7} {s:>8.3f} s {t:>8.3f} s {s / t:>14.2f}  >= 3")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()

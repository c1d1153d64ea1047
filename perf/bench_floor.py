"""The least-squares floor job: normal equations against lstsq (prints; never asserts).

Times what a ``least_squares_floor`` job does after its imports (check the cached arrays'
SHA-256, load the subset in float64, the floor and its spectrum) on each default subset,
once with the normal equations (:func:`mnist_sgd.train.floor.min_norm_solution`, what the
job runs) and once with ``numpy.linalg.lstsq`` (the reference, what it ran before), in one
process, one BLAS thread as in the jobs, alternately, best of ``--repeats``. Then prints how
far apart the two floors are: max |difference| and max relative difference of W* (relative
to max |W*|), of ||W*||, of the floor, validation and test losses, and of the accuracies.

Usage (from the repository root, after the data rule built results/data):
    python -m perf.bench_floor [--root .] [--seeds 0 1 2] [--repeats 3]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads its BLAS: as the jobs (threads: 1)

import argparse  # noqa: E402
import contextlib  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from unittest import mock  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd import layout  # noqa: E402
from mnist_sgd.train import floor  # noqa: E402
from mnist_sgd.train.minibatches import draw_subset  # noqa: E402
from mnist_sgd.train.run import load_eval_sets  # noqa: E402

#: config.yaml's training-set sizes.
SIZES = [100, 500, 1000, 10000, 50000]
COMPARED = ["floor_loss", "val_loss", "test_loss", "w_norm", "train_accuracy", "val_accuracy", "test_accuracy"]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def floor_job(root: Path, n: int, seed: int, lstsq: bool) -> tuple[float, float, dict, np.ndarray]:
    """Seconds of one floor job's work after its imports (loading; the floor), its floor and W*."""
    arrays = {(s, k): root / layout.array(s, k) for s in layout.SPLITS for k in layout.ARRAY_KINDS}
    reference = mock.patch.object(floor, "min_norm_solution", return_value=None)  # lstsq, the fallback
    with reference if lstsq else contextlib.nullcontext():
        t0 = time.perf_counter()
        sets = load_eval_sets(arrays, draw_subset(50000, n, seed), "float64", root / layout.data_manifest())
        t1 = time.perf_counter()
        result = floor.least_squares_floor(sets[0], sets[1:])
        t2 = time.perf_counter()
        W = floor.least_squares_params(sets[0].X, sets[0].Y)[0].W
    return t1 - t0, t2 - t1, result, W


def difference(a: float, b: float) -> tuple[float, float]:
    """(|a - b|, |a - b| / |a|); the relative one is 0 when a == b."""
    return abs(a - b), abs(a - b) / abs(a) if a != b else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="working directory of the workflow (holds results/data)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    root = Path(args.root)
    print(f"{os.uname().machine}, {os.cpu_count()} cores, load average {load_average()}")
    floor_job(root, 100, 0, lstsq=False)  # compiled evaluation kernel loaded before the clock starts
    print(
        f"floor job seconds after imports, best of {args.repeats}: loading (hash check, float64 arrays), "
        "then the floor (solution, evaluation, spectrum) with lstsq and with the normal equations"
    )
    print(f"{'seed':>4} {'N_':>6} {'loading':>8} {'lstsq':>8} {'normal eq.':>10} {'ratio':>6}  rank")
    worst: dict[str, tuple[float, float]] = {}
    for seed in args.seeds:
        for n in SIZES:
            if n == 50000 and seed != args.seeds[0]:
                continue  # the full set is the same for every seed
            loading, before, after = [], [], []
            for _ in range(args.repeats):  # alternately: a change in load hits both
                load_s, seconds, old, W_old = floor_job(root, n, seed, lstsq=True)
                loading.append(load_s)
                before.append(seconds)
                load_s, seconds, new, W_new = floor_job(root, n, seed, lstsq=False)
                loading.append(load_s)
                after.append(seconds)
            b, a = min(before), min(after)
            print(f"{seed:>4} {n:>6} {min(loading):>6.2f} s {b:>6.2f} s {a:>8.2f} s {b / a:>6.1f}  {new['rank']}")
            if old["rank"] != new["rank"]:
                print(f"     ranks differ: lstsq {old['rank']}, normal equations {new['rank']}")
            scale = np.abs(W_old).max()
            pairs = {"W*": (float(np.abs(W_old - W_new).max()), float(np.abs(W_old - W_new).max() / scale))}
            pairs |= {key: difference(old[key], new[key]) for key in COMPARED}
            for key, (absolute, relative) in pairs.items():
                if key == "floor_loss" and old["floor_loss"] < 1e-12:
                    relative = 0.0  # interpolation: both are rounding error (1e-30 .. 1e-28)
                w = worst.get(key, (0.0, 0.0))
                worst[key] = (max(w[0], absolute), max(w[1], relative))
    print("largest difference between the two floors over these subsets (absolute, relative):")
    for key, (absolute, relative) in worst.items():
        print(f"  {key:<15} {absolute:.1e}  {relative:.1e}")
    print(f"load average {load_average()}")


if __name__ == "__main__":
    main()

"""How close the hand-coded SGD and the evaluation run to this machine's limits (prints; never asserts).

The floor is measured in the same process, with one BLAS thread as in the training jobs:

- read pass: one memory-bound pass over the images, ``X @ v`` (an sgemv reads every
  element once and does 2 flops per element, far below the core's rate; ``X.sum()`` is
  compute-bound and overstates it);
- large-GEMM rate: a 2048 x 2048 sgemm (FLOP/s), the best the core does on dense float32;
- bound of an epoch = max(read pass, FLOPs / large-GEMM rate), FLOPs = 4 n d k (the
  forward X_b W and the gradient X_b^T R, 2 n d k each).

Printed: B = 1 in microseconds per update, B = 10/100/1000 in milliseconds per epoch over
the 50,000 training images, for the compiled kernel the runs use (mnist_sgd.train.compiled_kernel)
and the NumPy reference (mnist_sgd.train.textbook_blas: the textbook, BLAS calls at B = 1), with kernel / bound; per-epoch evaluation of
train + val + test (70,000 images), kernel and dense reference, against one read pass;
and a job's fixed cost (interpreter start, import, load, one evaluation, write) measured
in a fresh process by ``perf.job_cost``.

Usage (from the repository root, after the data rule built results/data):
    python -m perf.bench_sgd [--root .] [--repeats 3] [--tensorflow]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy loads its BLAS: as the jobs (threads: 1)

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd.data.dataset import load_cached_split, one_hot  # noqa: E402
from mnist_sgd.train.backends.numpy_backend import Trainer  # noqa: E402
from mnist_sgd.train.loop import EvalSet, evaluate  # noqa: E402
from mnist_sgd.train.minibatches import epoch_orders  # noqa: E402
from mnist_sgd.train.textbook import Params, loss_and_accuracy  # noqa: E402
from mnist_sgd.train.textbook_blas import sgd_epoch  # noqa: E402


def best_of(fn, repeats: int) -> float:
    """The fastest of ``repeats`` calls, in seconds (the least disturbed by other load)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def blas_kernel() -> str:
    """Which BLAS library, version, CPU kernel and thread count NumPy runs (threadpoolctl)."""
    from threadpoolctl import threadpool_info

    pools = [p for p in threadpool_info() if p.get("user_api") == "blas"]
    kinds = ", ".join(
        f"{p.get('internal_api')} {p.get('version')} kernel {p.get('architecture')} threads {p.get('num_threads')}"
        for p in pools
    )
    env = {v: os.environ.get(v, "unset") for v in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return f"{kinds or 'no BLAS found'}; " + ", ".join(f"{k}={v}" for k, v in env.items())


def read_pass(X: np.ndarray, repeats: int) -> float:
    """Seconds of one memory-bound read pass over X (n, d): the gemv X @ v."""
    v = np.ones(X.shape[1], dtype=X.dtype)
    return best_of(lambda: X @ v, repeats)


def gemm_rate(dtype, repeats: int, size: int = 2048) -> float:
    """FLOP/s of a large square GEMM in ``dtype``."""
    A = np.random.default_rng(0).random((size, size)).astype(dtype)
    return 2 * size**3 / best_of(lambda: A @ A, repeats)


def job_cost(root: str, backend: str) -> dict:
    """Phases of a 0-epoch job in a fresh interpreter (seconds since start) and its wall time."""
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "perf.job_cost", root, backend, out], capture_output=True, text=True, check=True
        )
        wall = time.perf_counter() - t0
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"wall (with interpreter start)": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="working directory of the workflow (holds results/data)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tensorflow", action="store_true", help="also a TensorFlow job's fixed cost")
    args = parser.parse_args()
    r = args.repeats
    splits = {name: load_cached_split(args.root, name) for name in ("train", "val", "test")}
    X, labels = splits["train"].images, splits["train"].labels
    Y = one_hot(labels)
    n, d = X.shape
    k = Y.shape[1]
    order = next(epoch_orders(0, n, 1))

    print(f"{os.uname().machine}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    print(f"BLAS: {blas_kernel()}")
    read = read_pass(X, r + 2)
    rate = gemm_rate(np.float32, r)
    flops = 4 * n * d * k
    bound = max(read, flops / rate)
    print(f"X = {X.shape} {X.dtype} = {X.nbytes / 1e6:.0f} MB")
    print(f"read pass (gemv X @ v): {read * 1e3:.1f} ms ({X.nbytes / read / 1e9:.1f} GB/s)")
    print(
        f"large sgemm: {rate / 1e9:.0f} GFLOP/s; epoch FLOPs 4ndk = {flops / 1e9:.2f} GFLOP = {flops / rate * 1e3:.1f} ms"
    )
    print(f"bound per epoch = max(read pass, FLOPs / rate) = {bound * 1e3:.1f} ms\n")

    lr = 0.001
    sub = order[:10000]
    trainer = Trainer(X, Y, Params.zeros(d, k), 1, lr)
    per_update = best_of(lambda: trainer.epoch(order), r) / n
    reference = best_of(lambda: sgd_epoch(Params.zeros(d, k), X, Y, sub, 1, lr), r) / len(sub)
    bound1 = max(read / n, 4 * d * k / rate)
    print("SGD: the compiled kernel the runs use, and the NumPy reference (mnist_sgd.train.textbook_blas)")
    print(f"{'B':>5} {'kernel':>12} {'reference':>12} {'bound':>12} {'kernel/bound':>13}  target")
    print(
        f"{1:>5} {per_update * 1e6:>9.2f} us {reference * 1e6:>9.2f} us {bound1 * 1e6:>9.2f} us "
        f"{per_update / bound1:>13.1f}  <= 1.5 us per update"
    )
    for B in (10, 100, 1000):
        trainer = Trainer(X, Y, Params.zeros(d, k), B, lr)
        ours = best_of(lambda t=trainer: t.epoch(order), r)
        ref = best_of(lambda B=B: sgd_epoch(Params.zeros(d, k), X, Y, order, B, lr), r)
        target = "<= 50 ms" if B == 10 else "kernel/bound <= 2"
        print(
            f"{B:>5} {ours * 1e3:>9.1f} ms {ref * 1e3:>9.1f} ms {bound * 1e3:>9.1f} ms {ours / bound:>13.2f}  {target}"
        )

    # Evaluation of one epoch: train + val + test, weights of a trained-looking model.
    sets = [EvalSet(s, v.images, one_hot(v.labels), v.labels) for s, v in splits.items()]
    trainer = Trainer(X, Y, Params.zeros(d, k), 100, 0.01)
    trainer.epoch(order)
    params = trainer.params()
    n_eval = sum(len(s.X) for s in sets)
    read_eval = sum(read_pass(s.X, r + 2) for s in sets)
    for s in sets:
        evaluate(params, s)  # builds each set's compressed rows once, as a run's epoch 0 does
    # each set timed on its own and the fastest times summed: one disturbed call (this machine
    # is shared) no longer counts for the whole epoch
    ours = sum(best_of(lambda s=s: evaluate(params, s), 3 * r) for s in sets)
    dense = sum(best_of(lambda s=s: loss_and_accuracy(params, s.X, s.Y, s.labels), r + 2) for s in sets)
    print(f"\nevaluation of {n_eval} images per epoch (train+val+test), read pass over them {read_eval * 1e3:.1f} ms:")
    print(f"  kernel {ours * 1e3:.1f} ms ({ours / read_eval:.2f} x read; target <= 1.5)", end="")
    print(f"   dense NumPy reference {dense * 1e3:.1f} ms ({dense / read_eval:.2f} x read)")

    print("\njob fixed cost (0 epochs: start, import, load, evaluate epoch 0, write), seconds since start:")
    for backend in ("numpy", "tensorflow") if args.tensorflow else ("numpy",):
        phases = job_cost(args.root, backend)
        print(f"  {backend:<10} " + ", ".join(f"{name} {t:.2f}" for name, t in phases.items()) + "  (target <= 1 s)")


if __name__ == "__main__":
    main()

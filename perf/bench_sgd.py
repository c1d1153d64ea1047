"""Benchmark of the hand-coded NumPy SGD on this machine (prints figures; not a test).

For B = 1: microseconds per update, next to the naive loop (``np.outer`` update).
For B = 10, 100, 1000: milliseconds per epoch over the 50,000 training images, next to
the memory-bandwidth baseline (one plain read pass over X, measured in the same run; the
target is within 2x of two read passes) and the naive loop (``W -= lr * Xb.T @ (Xb @ W - Yb) / B``
with fancy-indexed minibatches, no in-place scaling).

Usage (from the repository root, after the data rule built results/data): python -m perf.bench_sgd [--root .] [--repeats 3]
BLAS is pinned to one thread, as in the training jobs.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from mnist_sgd.data.dataset import load_cached_split, one_hot  # noqa: E402
from mnist_sgd.train.minibatches import epoch_orders, minibatches  # noqa: E402
from mnist_sgd.train.sgd import Params, sgd_epoch  # noqa: E402


def naive_epoch(W, X, Y, order, batch_size, lr):
    for batch in minibatches(order, batch_size):
        Xb, Yb = X[batch], Y[batch]
        W = W - lr * Xb.T @ (Xb @ W - Yb) / len(batch)
    return W


def naive_single(W, X, Y, order, lr):
    for i in order:
        W -= lr * np.outer(X[i], X[i] @ W - Y[i])
    return W


def best_of(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default=".", help="working directory of the workflow (holds results/data)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    split = load_cached_split(args.root, "train")
    X, Y = split.images, one_hot(split.labels)
    n = len(X)
    order = next(epoch_orders(0, n, 1))
    read = best_of(lambda: X.sum(dtype=np.float32), args.repeats + 2)
    print(f"machine: {os.uname().machine}, {os.cpu_count()} cores; X = {X.shape} {X.dtype} = {X.nbytes / 1e6:.0f} MB")
    print(
        f"one read pass over X: {read * 1e3:.1f} ms ({X.nbytes / read / 1e9:.1f} GB/s); target for B >= 100: "
        f"<= 2 x two read passes = {4 * read * 1e3:.1f} ms per epoch\n"
    )
    lr = 0.001
    sub = order[:20000]
    t_single = best_of(lambda: sgd_epoch(Params.zeros(784, 10), X, Y, sub, 1, lr), args.repeats) / len(sub)
    t_naive1 = best_of(lambda: naive_single(np.zeros((784, 10), np.float32), X, Y, sub, lr), 1) / len(sub)
    print(
        "B = 1 (per update)      ours {:7.2f} us   naive np.outer loop {:7.2f} us   speed-up {:4.1f}x   target <= 8 us: {}".format(
            t_single * 1e6, t_naive1 * 1e6, t_naive1 / t_single, "met" if t_single <= 8e-6 else "NOT met"
        )
    )
    print(
        f"\n{'B':>5} {'ours ms/epoch':>14} {'naive ms/epoch':>15} {'read-pass ms':>13} {'ours / 2 reads':>15}  target (<= 2)"
    )
    for B in (10, 100, 1000):
        ours = best_of(lambda B=B: sgd_epoch(Params.zeros(784, 10), X, Y, order, B, lr), args.repeats)
        naive = best_of(lambda B=B: naive_epoch(np.zeros((784, 10), np.float32), X, Y, order, B, lr), 1)
        ratio = ours / (2 * read)
        verdict = ("met" if ratio <= 2 else "NOT met") if B >= 100 else "(n/a for B < 100)"
        print(f"{B:>5} {ours * 1e3:>14.1f} {naive * 1e3:>15.1f} {read * 1e3:>13.1f} {ratio:>15.2f}  {verdict}")


if __name__ == "__main__":
    main()

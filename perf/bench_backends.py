"""Milliseconds per training epoch of each backend on the full 50,000 MNIST training images.

Usage (from the repository root, after the data rule built results/data):

    python -m perf.bench_backends [--quick] [--variants] [--root .]

Columns, all float32, zero initialisation, no bias, lr 0.01, one thread everywhere:

- NumPy        ``mnist_sgd.train.textbook_blas.sgd_epoch`` (the hand-coded algorithm, BLAS calls at B = 1);
- TensorFlow   ``mnist_sgd.train.backends.tensorflow_backend.Trainer`` (one XLA-compiled
               ``tf.function`` per epoch, gradient by GradientTape);
- Keras fit    the plain baseline: ``keras.Sequential([Dense(10, zero init, no bias)])``,
               loss 1/(2m) sum ||.||^2 (per-example half sum, averaged by Keras),
               ``SGD(lr)``, ``model.fit(batch_size=B, shuffle=False, verbose=0)`` with
               Keras' default compile options; it walks the data in stored order
               (contiguous slices, no gather), timed per epoch by a callback;
- PyTorch      ``mnist_sgd.train.backends.pytorch_backend.Trainer`` (explicit update, no autograd);
- with ``--variants`` also: TensorFlow without XLA (plain graph ``tf.while_loop``) and the
  PyTorch trainer with ``autograd=True``.

Each cell is the median over a few epochs after one warm-up epoch (which also pays
tracing/compilation); the repeats of the trainer-based columns are interleaved, so a
change in the load of a shared host hits them alike. Ratios are framework / NumPy.
"""

from __future__ import annotations

import argparse
import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy/SciPy/TF/torch load their BLAS
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd.data.dataset import load_cached_split, one_hot  # noqa: E402
from mnist_sgd.train.minibatches import epoch_orders  # noqa: E402
from mnist_sgd.train.textbook import Params  # noqa: E402
from mnist_sgd.train.textbook_blas import sgd_epoch  # noqa: E402

LR = 0.01
BATCH_SIZES = (10, 100, 1000)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


class NumpyTrainer:
    def __init__(self, X, Y, batch_size):
        self.X, self.Y, self.B, self.p = X, Y, batch_size, Params.zeros(X.shape[1], 10, "float32")

    def epoch(self, order):
        return sgd_epoch(self.p, self.X, self.Y, order, self.B, LR)


def keras_fit_ms(X, Y, batch_size: int, repeats: int) -> tuple[list[float], str]:
    """Per-epoch milliseconds of plain ``model.fit`` (first epoch = warm-up, dropped)."""
    import keras
    import tensorflow as tf

    def half_sum_squared(y_true, y_pred):  # per example; Keras averages over the batch
        return 0.5 * tf.reduce_sum(tf.square(y_pred - y_true), axis=-1)

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self.t0)

    model = keras.Sequential(
        [keras.Input((X.shape[1],)), keras.layers.Dense(10, use_bias=False, kernel_initializer="zeros")]
    )
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LR), loss=half_sum_squared)
    timer = EpochTimer()
    model.fit(X, Y, batch_size=batch_size, epochs=1 + repeats, shuffle=False, verbose=0, callbacks=[timer])
    return [s * 1e3 for s in timer.seconds[1:]], f"jit_compile={model.jit_compile}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (about a minute)")
    parser.add_argument("--variants", action="store_true", help="also TF without XLA and PyTorch with autograd")
    parser.add_argument(
        "--root", type=Path, default=Path("."), help="working directory of the workflow (holds results/data)"
    )
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=list(BATCH_SIZES))
    args = parser.parse_args()

    import tensorflow as tf  # noqa: F401  (after the env vars; the backend pins its threads)
    import torch

    from mnist_sgd.train.backends import pytorch_backend, tensorflow_backend

    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass

    print(f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); load average {os.getloadavg()[0]:.2f}")
    print(
        f"Python {platform.python_version()}, NumPy {np.__version__}, TensorFlow {tf.__version__}, "
        f"Keras {__import__('keras').__version__}, PyTorch {torch.__version__}; "
        f"threads: TF intra/inter {tf.config.threading.get_intra_op_parallelism_threads()}/"
        f"{tf.config.threading.get_inter_op_parallelism_threads()}, torch {torch.get_num_threads()}, BLAS 1"
    )

    split = load_cached_split(args.root, "train", dtype="float32")
    X, Y = split.images, one_hot(split.labels, "float32")
    n = len(X)
    orders = list(epoch_orders(0, n, 8))
    zeros = Params.zeros(X.shape[1], 10, "float32")

    columns = ["NumPy", "TensorFlow", "Keras fit", "PyTorch"] + (
        ["TF no XLA", "PyTorch autograd"] if args.variants else []
    )
    table: dict[int, dict[str, float]] = {}
    fit_note = ""
    t_start = time.perf_counter()
    for B in args.batch_sizes:
        repeats = (1 if args.quick else 2) if B <= 10 else (2 if args.quick else 5)
        trainers = {
            "NumPy": NumpyTrainer(X, Y, B),
            "TensorFlow": tensorflow_backend.Trainer(X, Y, zeros, B, LR),
            "PyTorch": pytorch_backend.Trainer(X, Y, zeros, B, LR),
        }
        if args.variants:
            tensorflow_backend.JIT_COMPILE = False
            trainers["TF no XLA"] = tensorflow_backend.Trainer(X, Y, zeros, B, LR)
            tensorflow_backend.JIT_COMPILE = True
            trainers["PyTorch autograd"] = pytorch_backend.Trainer(X, Y, zeros, B, LR, autograd=True)
        times: dict[str, list[float]] = {name: [] for name in trainers}
        for trainer in trainers.values():  # warm-up (tracing, XLA compilation, caches)
            trainer.epoch(orders[0])
        for r in range(repeats):
            for name, trainer in trainers.items():
                t0 = time.perf_counter()
                trainer.epoch(orders[1 + r])
                times[name].append((time.perf_counter() - t0) * 1e3)
        times["Keras fit"], fit_note = keras_fit_ms(X, Y, B, repeats)
        table[B] = {name: statistics.median(v) for name, v in times.items()}
        print(
            f"  B={B}: {repeats} timed epochs per cell, "
            + ", ".join(f"{k} {[round(x) for x in v]}" for k, v in times.items()),
            flush=True,
        )

    print()
    print(
        f"ms per epoch, {n} images, float32, median after a warm-up epoch (ratio = framework / NumPy); "
        f"Keras fit: {fit_note}"
    )
    header = f"| {'B':>5} | " + " | ".join(f"{c:>18}" for c in columns) + " |"
    print(header)
    print("|" + "|".join("-" * len(part) for part in header.split("|")[1:-1]) + "|")
    for B, row in table.items():
        cells = []
        for c in columns:
            ms = row[c]
            cells.append(f"{ms:9.1f}" + (" " * 9 if c == "NumPy" else f" ({ms / row['NumPy']:5.2f}x)"))
        print(f"| {B:>5} | " + " | ".join(f"{cell:>18}" for cell in cells) + " |")
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

"""A training job's fixed cost, phase by phase, in a fresh process (run by ``perf.bench_sgd``).

    python -m perf.job_cost ROOT BACKEND OUTDIR

Does what ``scripts/train.py`` does for a 0-epoch run (one evaluation of the zero weights)
with one BLAS thread, and prints a JSON object of seconds since the interpreter started:
``import`` (the package, NumPy and the backend's framework), ``load`` (the three splits),
``trainer`` (building the backend's trainer), ``evaluate`` (epoch 0's metrics), ``write``
(history, summary, weights, atomically).
"""

from __future__ import annotations

import sys
import time

T0 = time.perf_counter()

from mnist_sgd.job import limit_threads  # noqa: E402

limit_threads(1)

import json  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd import layout  # noqa: E402
from mnist_sgd.train.backends import MODULES  # noqa: E402
from mnist_sgd.train.run import RunSettings, load_eval_sets, run_summary, train_run  # noqa: E402
from mnist_sgd.train.run_files import write_run  # noqa: E402


def main(root: str, backend: str, outdir: str) -> None:
    marks = {}
    __import__(MODULES[backend])  # the framework's import, as a job pays it
    marks["import"] = time.perf_counter() - T0
    arrays = {(s, k): Path(root) / layout.array(s, k) for s in ("train", "val", "test") for k in ("images", "labels")}
    sets = load_eval_sets(arrays, np.arange(50000), "float32")
    marks["load"] = time.perf_counter() - T0
    settings = RunSettings(backend, 100, 0.01, seed=0, epochs=0)
    history, params = train_run(settings, sets)  # builds the trainer, evaluates epoch 0
    marks["trainer+evaluate"] = time.perf_counter() - T0
    out = Path(outdir)
    summary = run_summary(settings, "0.01", 50000, history)
    write_run(history, params, summary, out / "history.csv", out / "summary.json", out / "weights.npz")
    marks["write"] = time.perf_counter() - T0
    print(json.dumps(marks))


if __name__ == "__main__":
    main(*sys.argv[1:4])

"""Snakemake script: one training run (rule train)."""

import os
import sys
from pathlib import Path

threads = str(snakemake.threads)  # noqa: F821 -- pin BLAS threads before NumPy loads
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = threads
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

import json  # noqa: E402

import numpy as np  # noqa: E402

from mnist_sgd.joblog import output_to_log  # noqa: E402
from mnist_sgd.run import RunSettings, eval_sets, run, summary, write_outputs  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    w, p = sm.wildcards, sm.params
    lr = json.loads(Path(sm.input.lr_choice).read_text())["chosen_lr"] if "lr_choice" in sm.input.keys() else float(w.lr)
    if lr is None:
        sys.exit(f"NumPy diverged at every lr of B={w.batch} N'={w.n}: no lr to train {w.backend} with")
    settings = RunSettings(backend=w.backend, batch_size=int(w.batch), lr=lr, seed=int(w.seed),
                           epochs=p.epochs, dtype=p.dtype, bias=p.bias, divergence_factor=p.divergence_factor)
    subset = np.load(sm.input.subset, allow_pickle=False)
    sets = eval_sets(Path(sm.input.manifest).parent, subset, settings.dtype)
    print(f"training {settings} on {len(subset)} images")
    history, params = run(settings, sets)
    for row in history.rows:
        print(row)
    print(f"status: {history.status}")
    write_outputs(history, params, summary(settings, len(subset), history),
                  sm.output.history, sm.output.summary, sm.output.weights)

"""Snakemake script: compare a framework run with the NumPy run of the same key (rule compare_backends)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

import numpy as np  # noqa: E402

from mnist_sgd.consistency import compare_runs  # noqa: E402
from mnist_sgd.atomic import write_json  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402
from mnist_sgd.run import read_history  # noqa: E402

sm = snakemake  # noqa: F821


def weights(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


with output_to_log(sm.log[0]):
    w = sm.wildcards
    lr = json.loads(Path(sm.input.summary).read_text())["lr"]
    # the NumPy run with the same lr (one of several when the lr was "chosen")
    ref = next(i for i, p in enumerate(sm.input.ref_summaries) if json.loads(Path(p).read_text())["lr"] == lr)
    result = {"backend": w.backend, "reference": "numpy", "batch_size": int(w.batch), "n_train": int(w.n),
              "lr": lr, "lr_path": w.lr, "seed": int(w.seed), "dtype": sm.params.dtype}
    result |= compare_runs(read_history(sm.input.ref_histories[ref]), read_history(sm.input.history),
                           weights(sm.input.ref_weights[ref]), weights(sm.input.weights), sm.params.tolerances)
    print(json.dumps(result, indent=2))
    write_json(result, sm.output[0])

"""Snakemake script: the closed-form least-squares floor of one training subset (rule least_squares_floor)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

import numpy as np  # noqa: E402

from mnist_sgd.atomic import write_json  # noqa: E402
from mnist_sgd.floor import least_squares_floor  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402
from mnist_sgd.run import eval_sets  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    subset = np.load(sm.input.subset, allow_pickle=False)
    sets = eval_sets(Path(sm.input.manifest).parent, subset, "float64")
    floor = least_squares_floor(sets[0], sets[1:], bias=sm.params.bias)
    floor |= {"n_train": int(sm.wildcards.n), "seed": int(sm.wildcards.seed)}
    print(json.dumps(floor, indent=2))
    write_json(floor, sm.output[0])

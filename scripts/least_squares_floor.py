"""Rule least_squares_floor: the closed-form least-squares floor of one training subset."""

import json

import numpy as np

from mnist_sgd.atomic import write_json
from mnist_sgd.data.dataset import arrays_of
from mnist_sgd.job import output_to_log
from mnist_sgd.train.floor import least_squares_floor
from mnist_sgd.train.run import load_eval_sets

with output_to_log(snakemake.log[0]):
    subset = np.load(snakemake.input.subset, allow_pickle=False)
    # the arrays: their staged copies where they are inputs (no shared file system), else the parameter
    arrays = arrays_of({**snakemake.params.arrays, **dict(snakemake.input.items())})
    sets = load_eval_sets(arrays, subset, "float64", snakemake.input.manifest)
    floor = least_squares_floor(sets[0], sets[1:], bias=snakemake.params.bias)
    floor |= {"n_train": int(snakemake.wildcards.n), "seed": int(snakemake.wildcards.seed)}
    print(json.dumps({k: v for k, v in floor.items() if k != "eigenvalues"}, indent=2))
    write_json(floor, snakemake.output[0])

"""Rule least_squares_floor: the closed-form least-squares floor of every seed's training subset
of one size (a subset equal to an earlier seed's, the whole training set, is solved once)."""

import json

import numpy as np

from mnist_sgd.atomic import write_json
from mnist_sgd.data.dataset import arrays_of
from mnist_sgd.job import output_to_log
from mnist_sgd.train.floor import least_squares_floor
from mnist_sgd.train.run import load_eval_sets_of_subsets

with output_to_log(snakemake.log[0]):
    seeds = [int(s) for s in snakemake.params.seeds]
    subsets = [np.load(f, allow_pickle=False) for f in snakemake.input.subsets]
    if not len(seeds) == len(subsets) == len(snakemake.output):
        raise ValueError(f"{len(subsets)} subsets and {len(snakemake.output)} outputs for the seeds {seeds}")
    # the arrays: their staged copies where they are inputs (no shared file system), else the parameter
    arrays = arrays_of({**snakemake.params.arrays, **dict(snakemake.input.items())})
    solved = {}  # id of a training set -> its floor: equal subsets share one set
    for seed, sets, path in zip(
        seeds,
        load_eval_sets_of_subsets(arrays, subsets, "float64", snakemake.input.manifest),
        snakemake.output,
        strict=True,
    ):
        if id(sets[0]) not in solved:
            solved[id(sets[0])] = least_squares_floor(sets[0], sets[1:], bias=snakemake.params.bias)
        floor = solved[id(sets[0])] | {"n_train": int(snakemake.wildcards.n), "seed": seed}
        print(json.dumps({k: v for k, v in floor.items() if k != "eigenvalues"}, indent=2))
        write_json(floor, path)

"""Rule paired_tests: McNemar's test of every pair of models the report compares, from their weights."""

import numpy as np
import pandas as pd

from mnist_sgd.aggregate.paired import paired_tests_table
from mnist_sgd.atomic import write_atomically
from mnist_sgd.job import output_to_log

with output_to_log(snakemake.log[0]):
    i = snakemake.input
    weights = {tuple(key): w for key, w in zip(snakemake.params.run_keys, i.weights, strict=True)}  # key: RUN_KEY
    splits = {
        s: (np.load(i[f"{s}_images"], allow_pickle=False), np.load(i[f"{s}_labels"], allow_pickle=False))
        for s in ("val", "test")
    }
    table = paired_tests_table(pd.read_csv(i.runs, dtype={"lr_path": str}), weights, splits, snakemake.config)
    write_atomically(table.to_csv(index=False).encode(), snakemake.output[0])
    print(table.to_string(index=False))

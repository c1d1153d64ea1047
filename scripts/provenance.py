"""Rule provenance: config, code version, software, data sources, machine, job timings."""

import csv
import json

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log
from mnist_sgd.provenance import collect

with output_to_log(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    with open(i.runs, newline="") as fh:
        runs = list(csv.DictReader(fh))  # the training jobs' timings, read by rule aggregate
    info = collect(p.config, p.repo, i.manifest, i.sources, i.benchmarks, runs)
    print(json.dumps({k: v for k, v in info.items() if k != "timings"}, indent=2))
    write_json(info, snakemake.output[0])

"""Rule provenance: config, code version, software, data sources, machine, job timings."""

import json

from mnist_sgd.atomic import write_json
from mnist_sgd.job import output_to_log
from mnist_sgd.report.provenance import collect

with output_to_log(snakemake.log[0]):
    i, p = snakemake.input, snakemake.params
    info = collect(p.config, p.repo, i.manifest, i.sources, i.benchmarks)
    print(json.dumps({k: v for k, v in info.items() if k != "timings"}, indent=2))
    write_json(info, snakemake.output[0])

"""Snakemake script: config, code version, software, data sources, machine, job timings (rule provenance)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.atomic import write_json  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402
from mnist_sgd.provenance import collect  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    info = collect(sm.params.config, sm.params.repo, sm.input.manifest, sm.input.sources, sm.input.benchmarks)
    print(json.dumps({k: v for k, v in info.items() if k != "timings"}, indent=2))
    write_json(info, sm.output[0])

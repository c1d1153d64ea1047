"""Rule mnist_sources: the per-file download records as one sources.json."""

import json
from pathlib import Path

from mnist_sgd.atomic import write_json
from mnist_sgd.data.download import collect_sources
from mnist_sgd.job import output_to_log

with output_to_log(snakemake.log[0]):
    sources = collect_sources([json.loads(Path(p).read_text()) for p in snakemake.input])
    write_json(sources, snakemake.output[0])
    print(json.dumps(sources, indent=2))

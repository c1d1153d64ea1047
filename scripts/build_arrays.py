"""Snakemake script: parse the IDX files into cached arrays (rule build_arrays)."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.dataset import build_arrays  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    manifest = build_arrays(Path(sm.input[0]).parent, Path(sm.output.manifest).parent,
                            n_train=sm.params.n_train, n_val=sm.params.n_val)
    print(json.dumps(manifest, indent=2))

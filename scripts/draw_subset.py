"""Snakemake script: the indices of one training subset (rule draw_subset)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.atomic import write_npy  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402
from mnist_sgd.minibatches import draw_subset  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    indices = draw_subset(sm.params.n_total, int(sm.wildcards.n), int(sm.wildcards.seed))
    write_npy(indices, sm.output[0])
    print(f"{len(indices)} of {sm.params.n_total} training images, first: {indices[:10].tolist()}")

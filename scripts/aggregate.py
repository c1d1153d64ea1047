"""Snakemake script: every run's outputs as tidy CSV tables (rule aggregate)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.aggregate import write_tables  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    write_tables(dict(sm.output.items()), sm.input.summaries, sm.input.floors, sm.input.lr_choices,
                 sm.input.consistency)
    print(f"{len(sm.input.summaries)} runs, {len(sm.input.consistency)} comparisons -> {list(sm.output)}")

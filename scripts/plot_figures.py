"""Snakemake script: the report's figures as SVG from the aggregated tables (rule figures)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.aggregate import read_tables  # noqa: E402
from mnist_sgd.figures import write_figures  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    tables = read_tables(Path(sm.input.runs).parent)
    write_figures(tables, sm.config, {name: path for name, path in sm.output.items()})
    print(f"wrote {len(sm.output)} figures")

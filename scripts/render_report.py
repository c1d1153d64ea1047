"""Snakemake script: the assignment report as self-contained HTML and as PDF (rule render_report)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(snakemake.scriptdir).parent))  # noqa: F821 (the repository's package)

from mnist_sgd.aggregate import read_tables  # noqa: E402
from mnist_sgd.joblog import output_to_log  # noqa: E402
from mnist_sgd.report import render  # noqa: E402

sm = snakemake  # noqa: F821

with output_to_log(sm.log[0]):
    tables = read_tables(Path(sm.input.runs).parent)
    figures = {Path(p).stem: p for p in sm.input.figures}
    render(tables, sm.config, sm.input.manifest, sm.input.sources, sm.input.provenance, figures,
           sm.output.html, sm.output.pdf)
    print(f"wrote {sm.output.html} and {sm.output.pdf}")

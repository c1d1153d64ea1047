"""Rule figures: the report's figures as SVG, from the aggregated tables and the step timing."""

import pandas as pd

from mnist_sgd.aggregate.tables import read_tables
from mnist_sgd.job import output_to_log
from mnist_sgd.report.figures import write_figures

with output_to_log(snakemake.log[0]):
    tables = read_tables(snakemake.input) | {"step_timing": pd.read_csv(snakemake.input.step_timing)}
    write_figures(tables, snakemake.config, dict(snakemake.output.items()))
    print(f"wrote {len(snakemake.output)} figures")

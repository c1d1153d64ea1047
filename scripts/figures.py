"""Rule figures: the report's figures as SVG, from the aggregated tables."""

from mnist_sgd.job import output_to_log
from mnist_sgd.report.figures import write_figures
from mnist_sgd.aggregate.tables import read_tables

with output_to_log(snakemake.log[0]):
    write_figures(read_tables(snakemake.input), snakemake.config, dict(snakemake.output.items()))
    print(f"wrote {len(snakemake.output)} figures")

"""Rule aggregate: every run's outputs as tidy CSV tables."""

from mnist_sgd.aggregate.tables import RunFiles, write_tables
from mnist_sgd.job import output_to_log

with output_to_log(snakemake.log[0]):
    i = snakemake.input
    benchmarks = i.benchmarks or snakemake.params.benchmarks  # staged copies where they are inputs
    runs = [RunFiles(*files) for files in zip(i.summaries, i.histories, benchmarks, strict=True)]
    write_tables(dict(snakemake.output.items()), runs, i.floors, i.lr_choices, i.consistency)
    print(f"{len(runs)} runs, {len(i.consistency)} comparisons -> {list(snakemake.output)}")

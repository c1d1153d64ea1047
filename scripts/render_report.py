"""Rule render_report: the assignment report as self-contained HTML and as PDF."""

from mnist_sgd.job import output_to_log
from mnist_sgd.report.render import render
from mnist_sgd.aggregate.tables import read_tables

with output_to_log(snakemake.log[0]):
    i, out = snakemake.input, snakemake.output
    figures = dict(zip(snakemake.params.figure_names, i.figures, strict=True))
    render(
        read_tables(i),
        snakemake.config,
        i.manifest,
        i.sources,
        i.provenance,
        figures,
        out.html,
        out.pdf,
        i.paired_tests,
    )
    print(f"wrote {out.html} and {out.pdf}")

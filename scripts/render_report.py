"""Rule render_report: the assignment report as self-contained HTML and as PDF; the log lists
every claim the report checked and whether its sentence was printed."""

from mnist_sgd.aggregate.tables import read_tables
from mnist_sgd.job import output_to_log
from mnist_sgd.report.render import read_inputs, render

with output_to_log(snakemake.log[0]):
    i, out = snakemake.input, snakemake.output
    inputs = read_inputs(
        read_tables(i),
        snakemake.config,
        i.manifest,
        i.sources,
        i.provenance,
        i.paired_tests,
        i.get("step_timing"),
    )
    figures = dict(zip(snakemake.params.figure_names, i.figures, strict=True))
    log = render(inputs, figures, out.html, out.pdf, out.claims, expected_runs=snakemake.params.run_keys)
    print("claims:\n" + "\n".join(log))
    print(f"wrote {out.html}, {out.pdf} and {out.claims}")

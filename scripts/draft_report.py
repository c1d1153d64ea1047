"""Rule draft_report: a draft of the report from the runs there are (mnist_sgd/report/draft.py);
the log lists every claim and the runs the draft lacks."""

from mnist_sgd.job import output_to_log
from mnist_sgd.report.draft import build

with output_to_log(snakemake.log[0]):
    i, p, out = snakemake.input, snakemake.params, snakemake.output
    files = {k: i[k] for k in ("summaries", "histories", "floors", "lr_choices", "consistency")}
    files |= {k: str(i[k]) for k in ("step_timing", "manifest", "sources")}
    log = build(snakemake.config, p.repo, files, p.benchmarks, p.expected, out.html, out.pdf)
    print(f"draft from {len(i.summaries)} of {len(p.expected)} runs")
    print("claims:\n" + "\n".join(log))
    print(f"wrote {out.html} and {out.pdf}")

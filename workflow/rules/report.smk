# The report: every run collected into tables, the figures, the provenance record, and the
# assignment report as self-contained HTML and as PDF. Tables, figures and the PDF are also
# registered for Snakemake's own report (`snakemake --report results/snakemake-report.html`).
from mnist_sgd.figures import figure_names

TABLES = ["runs", "epochs", "floors", "lr_choice", "consistency"]
REPORT_FIGURES = figure_names(config)
CAPTIONS = "../../report/captions"


def run_files(name):
    """Input function: ``name`` (history.csv, weights.npz) beside every run summary."""

    def files(wildcards):
        return [s.removesuffix("summary.json") + name for s in all_run_summaries(wildcards)]

    return files


def run_benchmarks(wildcards):
    """The benchmark of every training job: results/benchmarks/train/<run path>.tsv."""
    return [
        "results/benchmarks/train/" + s.removeprefix("results/runs/").removesuffix("/summary.json") + ".tsv"
        for s in all_run_summaries(wildcards)
    ]


def floor_benchmarks(wildcards):
    return [f.replace("results/floor/", "results/benchmarks/least_squares_floor/").replace(".json", ".tsv") for f in floor_files()]


def figure_caption(name):
    return f"{CAPTIONS}/batch.rst" if name.startswith("batch_b") else f"{CAPTIONS}/{name}.rst"


def figure_labels(name):
    if name.startswith("batch_b"):
        return {"figure": "loss and accuracy per epoch", "B": name.removeprefix("batch_b")}
    return {"figure": name.replace("_", " "), "B": "all"}


rule aggregate:
    input:
        summaries=all_run_summaries,
        histories=run_files("history.csv"),
        benchmarks=run_benchmarks,
        floors=floor_files(),
        lr_choices=lr_choice_files(),
        consistency=consistency_files,
    output:
        **{
            t: report(
                f"results/tables/{t}.csv",
                caption=f"{CAPTIONS}/table_{t}.rst",
                category="Tables",
                labels={"table": t},
            )
            for t in TABLES
        },
    log:
        "logs/aggregate/aggregate.log",
    message:
        "Collecting every run into tidy tables (results/tables/)"
    script:
        "../../scripts/aggregate.py"


rule figures:
    input:
        **{t: f"results/tables/{t}.csv" for t in TABLES},
    output:
        **{
            name: report(
                f"results/figures/{name}.svg",
                caption=figure_caption(name),
                category="Figures",
                subcategory="question 3: batch size"
                if name.startswith("batch") or name == "lr_sweep"
                else ("question 5: training-set size" if name == "subset_size" else "question 6: framework check"),
                labels=figure_labels(name),
            )
            for name in REPORT_FIGURES
        },
    log:
        "logs/figures/figures.log",
    message:
        "Drawing the report's figures (results/figures/)"
    script:
        "../../scripts/plot_figures.py"


rule provenance:
    input:
        manifest=DATA,
        sources="resources/mnist/sources.json",
        runs="results/tables/runs.csv",
        benchmarks=lambda wildcards: run_benchmarks(wildcards) + floor_benchmarks(wildcards),
    output:
        "results/provenance.json",
    params:
        config=config,
        repo=workflow.basedir,
    log:
        "logs/provenance/provenance.log",
    message:
        "Recording config, code version, software, data sources, machine and job timings"
    script:
        "../../scripts/provenance.py"


rule render_report:
    input:
        **{t: f"results/tables/{t}.csv" for t in TABLES},
        figures=expand("results/figures/{name}.svg", name=REPORT_FIGURES),
        provenance="results/provenance.json",
        manifest=DATA,
        sources="resources/mnist/sources.json",
        # absolute: the workflow may run in another working directory (--directory)
        templates=[
            f"{workflow.basedir}/report/templates/report.html.j2",
            f"{workflow.basedir}/report/templates/macros.html.j2",
            f"{workflow.basedir}/report/report.css",
        ],
    output:
        html="results/report/report.html",
        pdf=report(
            "results/report/report.pdf",
            caption=f"{CAPTIONS}/report.rst",
            category="Report",
            labels={"document": "assignment report (PDF)"},
        ),
    log:
        "logs/render_report/render_report.log",
    message:
        "Rendering the assignment report (results/report/report.html and report.pdf)"
    script:
        "../../scripts/render_report.py"

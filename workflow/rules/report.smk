# The report: every run collected into tables, the figures, the provenance record, and the
# assignment report as self-contained HTML and as PDF. Tables, figures and the PDF are also
# registered for Snakemake's own report (`snakemake --report results/snakemake-report.html`).
from mnist_sgd.aggregate import beside_summaries, benchmarks_of_floors, benchmarks_of_runs
from mnist_sgd.figures import figure_names, report_entry
from mnist_sgd.provenance import git_state

TABLES = ["runs", "epochs", "floors", "lr_choice", "consistency"]
REPORT_FIGURES = figure_names(config)
CAPTIONS = "../../report/captions"


rule aggregate:
    input:
        summaries=all_run_summaries,
        histories=lambda wildcards: beside_summaries(all_run_summaries(wildcards), "history.csv"),
        benchmarks=lambda wildcards: benchmarks_of_runs(all_run_summaries(wildcards)),
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
    conda:
        "../../environment.yml"
    params:
        code=code_digest("aggregate.py"),
    message:
        "Collecting every run into tidy tables (results/tables/)"
    script:
        "../../scripts/aggregate.py"


rule figures:
    input:
        **{t: f"results/tables/{t}.csv" for t in TABLES},
    output:
        **{name: report(f"results/figures/{name}.svg", **report_entry(name, CAPTIONS)) for name in REPORT_FIGURES},
    log:
        "logs/figures/figures.log",
    conda:
        "../../environment.yml"
    params:
        code=code_digest("figures.py", "aggregate.py", "grid.py"),
    message:
        "Drawing the report's figures (results/figures/)"
    script:
        "../../scripts/plot_figures.py"


rule provenance:
    input:
        manifest=DATA,
        sources="resources/mnist/sources.json",
        runs="results/tables/runs.csv",
        benchmarks=lambda wildcards: benchmarks_of_runs(all_run_summaries(wildcards))
        + benchmarks_of_floors(floor_files()),
    output:
        "results/provenance.json",
    log:
        "logs/provenance/provenance.log",
    conda:
        "../../environment.yml"
    params:
        config=config,
        repo=workflow.basedir,
        code=code_digest("provenance.py"),
        # a new commit or a dirty tree re-records provenance (and so re-renders the report)
        git=git_state(workflow.basedir),
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
    conda:
        "../../environment.yml"
    params:
        # the report shows the source of sgd.py, so it is rendered again when that changes
        code=code_digest("report.py", "commentary.py", "figures.py", "aggregate.py", "sgd.py", "grid.py"),
    message:
        "Rendering the assignment report (results/report/report.html and report.pdf)"
    script:
        "../../scripts/render_report.py"

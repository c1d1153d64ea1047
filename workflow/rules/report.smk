# The report: every run collected into tables, the figures, the provenance record, and the
# assignment report as self-contained HTML and as PDF. Tables, figures and the PDF are also
# registered for Snakemake's own report (`snakemake --report results/snakemake-report.html`).
from mnist_sgd.report.catalog import caption_name, figure_names, snakemake_report_entry
from mnist_sgd.report.sections import TITLES as SECTION_TITLES
from mnist_sgd.provenance import git_state
from mnist_sgd.report import draft

REPORT_FIGURES = figure_names(config)


rule aggregate:
    input:
        summaries=searched_run_files("summary.json"),
        histories=searched_run_files("history.csv"),
        benchmarks=run_benchmark_inputs,
        floors=floor_files(),
        lr_choices=lr_choice_files(),
        consistency=consistency_files(),
        lr_rounds=searched_round_files,  # read by params.benchmarks
    output:
        **{
            t: report(layout.table(t), caption=caption(f"table_{t}"), category="Tables", labels={"table": t})
            for t in layout.TABLES
        },
    log:
        layout.log("aggregate"),
    benchmark:
        layout.benchmark("aggregate", "aggregate")
    conda:
        "../envs/report.yaml"
    params:
        benchmarks=run_benchmarks,  # read from here unless they are inputs (see INPUTS_STAGED)
        code=code_digest("scripts/aggregate.py"),
    message:
        "Collecting every run into tidy tables (results/tables/)"
    script:
        "../../scripts/aggregate.py"


rule paired_tests:
    input:
        **{layout.array_input(s, k): layout.array(s, k) for s in ("val", "test") for k in layout.ARRAY_KINDS},
        runs=layout.table("runs"),
        weights=searched_run_files("weights.npz"),
        lr_rounds=searched_round_files,  # read by params.run_keys
    output:
        report(
            layout.paired_tests(),
            caption=caption("table_paired_tests"),
            category="Tables",
            labels={"table": "paired_tests"},
        ),
    log:
        layout.log("paired_tests"),
    benchmark:
        layout.benchmark("paired_tests", "paired_tests")
    conda:
        "../envs/report.yaml"
    params:
        run_keys=searched_run_keys,  # of the weights, in their order
        code=code_digest("scripts/paired_tests.py"),
    message:
        "Paired tests (McNemar) of the models the report compares, from their saved weights"
    script:
        "../../scripts/paired_tests.py"


rule figures:
    input:
        **{t: layout.table(t) for t in layout.TABLES},
        step_timing=layout.step_timing(),
    output:
        **{
            name: report(layout.figure(name), caption=caption(caption_name(name)), **snakemake_report_entry(name))
            for name in REPORT_FIGURES
        },
    log:
        layout.log("figures"),
    benchmark:
        layout.benchmark("figures", "figures")
    conda:
        "../envs/report.yaml"
    params:
        code=code_digest("scripts/figures.py"),
    message:
        "Drawing the report's figures (results/figures/)"
    script:
        "../../scripts/figures.py"


rule provenance:
    input:
        manifest=layout.data_manifest(),
        sources=layout.mnist_sources(),
        runs=layout.table("runs"),  # with the training jobs' timings
        benchmarks=floor_benchmarks,
    output:
        layout.provenance(),
    log:
        layout.log("provenance"),
    benchmark:
        layout.benchmark("provenance", "provenance")
    conda:
        "../envs/report.yaml"
    params:
        config=config,
        repo=workflow.basedir,
        code=code_digest("scripts/provenance.py"),
        # a new commit or a dirty tree re-records provenance (and so re-renders the report)
        git=git_state(workflow.basedir),
    message:
        "Recording config, code version, software, data sources, machine and job timings"
    script:
        "../../scripts/provenance.py"


rule render_report:
    input:
        **{t: layout.table(t) for t in layout.TABLES},
        paired_tests=layout.paired_tests(),
        step_timing=layout.step_timing(),
        figures=[layout.figure(name) for name in REPORT_FIGURES],
        provenance=layout.provenance(),
        manifest=layout.data_manifest(),
        sources=layout.mnist_sources(),
        lr_rounds=searched_round_files,  # read by params.run_keys
    output:
        html=layout.report("html"),
        pdf=report(
            layout.report("pdf"),
            caption=caption("report"),
            category="Report",
            labels={"document": "assignment report (PDF)"},
        ),
        claims=layout.claims_ledger(),
    log:
        layout.log("render_report"),
    benchmark:
        layout.benchmark("render_report", "render_report")
    conda:
        "../envs/report.yaml"
    params:
        figure_names=REPORT_FIGURES,
        run_keys=searched_run_keys,  # every run of the grid: the report refuses to render without one
        # the report shows the source of the SGD and data code it imports; the templates,
        # captions and stylesheet are read from the repository: a change in any reruns the rule
        code=code_digest(
            "scripts/render_report.py",
            # the section modules are imported by name (render.section_facts)
            extra_modules=tuple(f"mnist_sgd.report.sections.{name}" for name in SECTION_TITLES),
            assets=(
                f"{layout.REPORT_TEMPLATES}/*.j2",
                f"{layout.REPORT_TEMPLATES}/sections/*.j2",
                layout.caption("*"),
                layout.REPORT_STYLESHEET,
            ),
        ),
    message:
        "Rendering the assignment report (results/report/report.html and report.pdf)"
    script:
        "../../scripts/render_report.py"


rule draft_report:
    input:
        # only the runs that exist now (Snakemake would train the missing ones), and the lr
        # search's rounds read from their files, not through the checkpoint
        unpack(lambda wildcards: draft.inputs(config)),
    output:
        html=draft.draft("html"),
        pdf=draft.draft("pdf"),
    log:
        layout.log("draft_report"),
    conda:
        "../envs/report.yaml"
    params:
        expected=lambda wildcards: [draft.run_key(r) for r in draft.expected_runs(config)],
        benchmarks=lambda wildcards: draft.benchmarks(config),
        repo=workflow.basedir,
        code=code_digest(
            "scripts/draft_report.py",
            extra_modules=tuple(f"mnist_sgd.report.sections.{name}" for name in SECTION_TITLES),
            assets=(
                f"{layout.REPORT_TEMPLATES}/*.j2",
                f"{layout.REPORT_TEMPLATES}/sections/*.j2",
                layout.caption("*"),
                layout.REPORT_STYLESHEET,
            ),
        ),
    message:
        "Rendering a draft report from the runs there are (results/report/draft.html and draft.pdf)"
    script:
        "../../scripts/draft_report.py"

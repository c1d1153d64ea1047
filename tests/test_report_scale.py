"""A grid of several seeds, fabricated by perf.fake_grid (the workflow's own writers, the real lr
search): Snakemake plans only the report rules on it, and the report's tables summarise the
jobs and the framework comparisons per point instead of listing each one."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import mirror_environment, snakemake_command
from mnist_sgd import grid, layout
from mnist_sgd.aggregate.tables import RunFiles, read_tables, write_tables
from mnist_sgd.config import validate_config
from mnist_sgd.provenance import collect
from mnist_sgd.report.catalog import figure_names
from mnist_sgd.report.queries import ReportInputs
from mnist_sgd.report.render import build_context, render_html
from perf.fake_grid import fabricate

SEEDS = [0, 1, 2, 3, 4]
#: The default grid (8 points, 7 lrs, the lr search, four framework backends) at 5 seeds and 5 epochs.
CONFIG = {"training": {"epochs": 5, "seeds": SEEDS}}  # every seed at every lr: lr_search and frameworks below


@pytest.fixture(scope="module")
def fabricated(repo_root, tmp_path_factory) -> tuple[Path, dict, dict]:
    """A working directory: the cached data built by the workflow, then the fabricated runs."""
    work = tmp_path_factory.mktemp("scale")
    config = yaml.safe_load((repo_root / "config.yaml").read_text()) | CONFIG
    config["lr_search"]["seeds"] = config["frameworks"]["seeds"] = "all"
    config = validate_config(config)
    data = [layout.data_manifest(), layout.mnist_sources(), "--cores", "2"]
    result = subprocess.run(
        snakemake_command(work, config, *data), env=mirror_environment(), capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return work, config, fabricate(work, config)


def test_snakemake_plans_only_the_report_rules_on_the_fabricated_grid(fabricated):
    work, config, counts = fabricated
    result = subprocess.run(snakemake_command(work, config, "-n"), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    planned = {}
    for line in result.stdout.split("Job stats:", 1)[1].splitlines()[3:]:
        if len(line.split()) != 2:
            break
        planned[line.split()[0]] = int(line.split()[1])
    assert planned == {
        "aggregate": 1,
        "paired_tests": 1,
        "figures": 1,
        "provenance": 1,
        "render_report": 1,
        "time_sgd_step": 1,  # a measurement on the data, not a run: the fabricated grid has none
        "all": 1,
        "total": 7,
    }
    # the fabricated lr search is the workflow's: max_rounds + 1 rounds at each of the 8 points
    assert (
        counts["rounds"] == 8 * (config["lr_search"]["max_rounds"] + 1)
        and counts["lr_choices"] == 8
        and counts["comparisons"] == 2 * len(SEEDS)
    )


def job_benchmark(config: dict, run_dir: Path, work: Path) -> str:
    """The benchmark file of the job that trained the run in ``run_dir``, as the workflow names it."""
    backend, b, n, lr, seed = run_dir.relative_to(work / "results/runs").parts
    run = grid.Run(backend, int(b[1:]), int(n[1:]), lr[2:] if lr[2:] == grid.CHOSEN else float(lr[2:]), int(seed[4:]))
    return grid.training_benchmark(config, run)


def test_the_report_summarises_jobs_and_framework_comparisons_per_point(fabricated):
    work, config, counts = fabricated
    summaries = sorted(work.glob("results/runs/*/*/*/*/*/summary.json"))
    runs = [RunFiles(s, s.parent / "history.csv", work / job_benchmark(config, s.parent, work)) for s in summaries]
    assert len(runs) == counts["runs"] > 40  # more jobs than the appendix lists one by one
    jobs = {run.benchmark for run in runs}
    assert all(job.is_file() for job in jobs) and len(jobs) < len(runs)  # grid jobs trained several runs
    tables_out = {t: work / layout.table(t) for t in layout.TABLES}
    floors = sorted(work.glob("results/floor/*.json"))
    write_tables(
        tables_out, runs, floors, sorted(work.glob("results/lr_choice/*/*.json")), sorted(work.glob("results/consistency/**/*.json"))
    )  # fmt: skip
    tables = read_tables(tables_out)
    with open(tables_out["runs"], newline="") as fh:
        run_rows = list(csv.DictReader(fh))
    floor_benchmarks = sorted(work.glob("results/benchmarks/least_squares_floor/*.tsv"))
    provenance = collect(
        config, work, work / layout.data_manifest(), work / layout.mnist_sources(), floor_benchmarks, run_rows
    )
    assert provenance["timings"]["n_jobs"] == len(jobs) + len(floor_benchmarks)  # one floor job per N'
    assert len(floor_benchmarks) == len({int(f.stem.split("_")[0][1:]) for f in floors})
    inputs = ReportInputs(
        tables,
        config,
        json.loads((work / layout.data_manifest()).read_text()),
        json.loads((work / layout.mnist_sources()).read_text()),
        provenance,
    )
    context = build_context(inputs, {name: "<svg></svg>" for name in figure_names(config)})
    html = render_html(context)  # several seeds, no paired tests: every section still renders
    assert html.count('<section id="') == 7  # the six sections and the runs each figure and table read
    appendix, frameworks = context["facts"]["appendix"], context["facts"]["frameworks"]

    assert not appendix["per_job"]
    groups = {g["key"]: (int(g["runs"]), int(g["count"])) for g in appendix["timing_groups"]}
    assert sum(r for r, _ in groups.values()) == len(runs) and sum(j for _, j in groups.values()) == len(jobs)
    grid_lrs = set(config["grid"]["learning_rates"])
    for c in (json.loads(p.read_text()) for p in work.glob("results/lr_choice/numpy/*.json")):
        key = f"NumPy, B = {c['batch_size']:,}, N′ = {c['n_train']:,}"
        added = [x for x in c["candidates"] if x["lr"] not in grid_lrs]  # a job each; the grid: one job per seed
        assert groups[key] == (len(c["candidates"]) * len(SEEDS), (1 + len(added)) * len(SEEDS)), key
    for backend in ("tensorflow", "pytorch", "keras_fit", "pytorch_loader"):
        assert groups[f"{grid.BACKEND_NAMES[backend]}, B = 100, N′ = 50,000"] == (len(SEEDS), len(SEEDS))

    rows = frameworks["exact"]
    assert [(r["backend"], r["seed"], r["comparisons"], r["verdict"]) for r in rows] == [
        ("PyTorch", "0–4", 5, "pass"),
        ("TensorFlow", "0–4", 5, "pass"),
    ]
    assert "seeds: [0, 1, 2, 3, 4]" in appendix["config_yaml"]
    assert appendix["where"].startswith(f"The {len(runs)} training runs ran {len(runs)} on ")

"""A draft report from a partial grid (rule ``draft_report``, ``make draft``).

When some runs are missing (a job that failed for good, a ``--keep-going`` build stopped
short), the final report cannot be built: rule ``render_report`` needs every run, and refuses
when one is missing (:class:`mnist_sgd.report.render.IncompleteGridError`). The draft is built
from the runs there are: its rule takes as inputs only the run files that exist when the
workflow is planned (Snakemake would otherwise try to make the missing ones), and reads the
lr search's rounds from their files instead of through the checkpoint, so planning it never
asks for a training job. One job then does what the final report's tail does (tables,
figures, provenance, render; no paired tests), and the report says "DRAFT — k of m runs" on
every page and "pending (k of m runs)" wherever a missing run would count.

The draft's paths are here rather than in :mod:`mnist_sgd.layout`, which every rule script
imports: adding them there would change the code digest of every rule and rerun the grid.
"""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from mnist_sgd import grid, layout


def draft(suffix: str) -> str:
    """The draft report, ``suffix`` html or pdf."""
    return f"{layout.RESULTS}/report/draft.{suffix}"


def _searched_lrs(config: dict, backend: str, point: grid.Point, root: Path) -> list:
    """The lrs tried at a point so far: the configured grid, then what each round of the lr
    search that has run proposed (read from its file; a round not run yet adds nothing)."""
    lrs = list(config["grid"]["learning_rates"])
    for r in range(config["lr_search"]["max_rounds"] + 1):
        path = root / layout.lr_round(backend, point.batch_size, point.n_train, r)
        if not path.is_file():
            break
        proposed = json.loads(path.read_text())["next_lrs"]
        if not proposed:
            break
        lrs += proposed
    return lrs


def _has_choice(point: grid.Point, root: Path) -> bool:
    """NumPy's lr search at ``point`` chose an lr, or has not ended yet."""
    path = root / layout.lr_choice(grid.NUMPY, point.batch_size, point.n_train)
    return not path.is_file() or json.loads(path.read_text())["chosen_lr"] is not None


def expected_runs(config: dict, root: str | Path = ".") -> list[grid.Run]:
    """Every run the grid has as far as its lr search has gone (the runs rule render_report
    reads once everything ran: common.smk's searched_runs)."""
    root = Path(root)
    pairs = [(grid.NUMPY, p) for p in grid.all_points(config)]
    if config["frameworks"]["learning_rates"] == "all":
        pairs += [(b, p) for b in config["frameworks"]["backends"] for p in grid.framework_points(config)]
    runs = [
        grid.Run(backend, p.batch_size, p.n_train, lr, seed)
        for backend, p in pairs
        for lr in _searched_lrs(config, backend, p, root)
        for seed in grid.search_seeds(config)
    ]
    # the other seeds at NumPy's chosen lr: expected unless the point's choice says every lr diverged
    runs += [r for r in grid.numpy_chosen_runs(config) if _has_choice(r.point, root)]
    runs += [r for r in grid.framework_runs(config) if r.lr == grid.CHOSEN] + grid.idiomatic_runs(config)
    return list(dict.fromkeys(runs))


def run_key(run: grid.Run) -> list:
    return [run.backend, run.batch_size, run.n_train, run.lr_text, run.seed]


def is_present(run: grid.Run, root: str | Path = ".") -> bool:
    """The run's summary and history exist (what aggregation reads)."""
    return all((Path(root) / layout.run_file(name, **run.fields)).is_file() for name in ("summary.json", "history.csv"))


def existing(paths: list[str], root: str | Path = ".") -> list[str]:
    return [p for p in paths if (Path(root) / p).is_file()]


def present_runs(config: dict, root: str | Path = ".") -> list[grid.Run]:
    return [r for r in expected_runs(config, root) if is_present(r, root)]


def benchmarks(config: dict, root: str | Path = ".") -> list[str]:
    """The benchmark file of the training job of every run present, in the order of :func:`inputs`."""
    return [grid.training_benchmark(config, r) for r in present_runs(config, root)]


def inputs(config: dict, root: str | Path = ".") -> dict:
    """The draft rule's inputs: the files of every run present, the floors, lr choices and
    framework comparisons that exist, the data's manifest and sources, and the step timing
    (a measurement on the data, not a run)."""
    runs = present_runs(config, root)
    floors = [layout.floor(n, s) for n, s in grid.subset_keys(config)]
    choices = [layout.lr_choice(grid.NUMPY, p.batch_size, p.n_train) for p in grid.all_points(config)]
    comparisons = [layout.consistency(**r.fields) for r in grid.framework_runs(config)]
    return {
        "summaries": [layout.run_file("summary.json", **r.fields) for r in runs],
        "histories": [layout.run_file("history.csv", **r.fields) for r in runs],
        "floors": existing(floors, root),
        "lr_choices": existing(choices, root),
        "consistency": existing(comparisons, root),
        "step_timing": layout.step_timing(),
        "manifest": layout.data_manifest(),
        "sources": layout.mnist_sources(),
    }


def build(config: dict, repo, files: dict, benchmarks: list[str], expected: list, html_path, pdf_path) -> list[str]:
    """Tables, figures and provenance of the runs in ``files`` (the rule's inputs), then the draft
    report; ``benchmarks``: each run's training job benchmark file, in the order of the runs;
    ``expected``: the key of every run the grid has. Returns the claim log."""
    import pandas as pd

    from mnist_sgd.aggregate.tables import RunFiles, read_tables, write_tables
    from mnist_sgd.provenance import collect
    from mnist_sgd.report.catalog import figure_names
    from mnist_sgd.report.figures import write_figures
    from mnist_sgd.report.render import read_inputs, render

    runs = [RunFiles(*f) for f in zip(files["summaries"], files["histories"], benchmarks, strict=True)]
    with tempfile.TemporaryDirectory(prefix="draft-") as tmp:
        tmp = Path(tmp)
        paths = {t: tmp / f"{t}.csv" for t in layout.TABLES}
        write_tables(paths, runs, files["floors"], files["lr_choices"], files["consistency"])
        tables = read_tables(paths)
        timing = files["step_timing"]
        figures = {n: str(tmp / f"{n}.svg") for n in figure_names(config)}
        write_figures(tables | {"step_timing": pd.read_csv(timing)}, config, figures)
        floor_benchmarks = sorted(
            {grid.floor_benchmark(n) for n, s in grid.subset_keys(config) if layout.floor(n, s) in files["floors"]}
        )
        with open(paths["runs"], newline="") as fh:
            run_rows = list(csv.DictReader(fh))
        provenance = collect(config, repo, files["manifest"], files["sources"], floor_benchmarks, run_rows)
        (tmp / "provenance.json").write_text(json.dumps(provenance))
        inputs_ = read_inputs(
            tables, config, files["manifest"], files["sources"], tmp / "provenance.json", None, timing
        )
        return render(inputs_, figures, html_path, pdf_path, expected_runs=expected, draft=True)

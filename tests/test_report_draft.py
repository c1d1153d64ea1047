"""Provenance under each figure and table (mnist_sgd/report/lineage.py), and the draft report
from a partial grid (mnist_sgd/report/draft.py): on the tables of a real default build with
one run removed, the final report refuses, naming the run, and the draft renders with every
claim and table row that needs the run saying "pending (k of m runs)"."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import default_build
import pytest

from mnist_sgd import grid
from mnist_sgd.report import render
from mnist_sgd.report.catalog import figure_names
from mnist_sgd.report.lineage import CATALOGUE, Lineage, describe, run_keys

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates"
#: The run the tests remove: B = 1,000 on the full training set, its lr 0.03.
REMOVED = ("numpy", 1000, 50000, "0.03", 0)
REMOVED_PATH = "results/runs/numpy/b1000/n50000/lr0.03/seed0"


@pytest.fixture(scope="module")
def default():
    return default_build.inputs()


def figures(inp) -> dict:
    return {name: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' for name in figure_names(inp.config)}


def without_run(inp):
    """A copy of ``inp`` without the run REMOVED (its rows in runs and epochs), and the key of
    every run of the full grid."""
    keys = run_keys(inp.runs).to_numpy().tolist()
    out = copy.copy(inp)
    out.tables = {k: v.copy() for k, v in inp.tables.items()}
    for name in ("runs", "epochs"):
        t = out.tables[name]
        hit = (
            (t.backend == REMOVED[0])
            & (t.batch_size == REMOVED[1])
            & (t.n_train == REMOVED[2])
            & (t.lr_path.astype(str) == REMOVED[3])
            & (t.seed == REMOVED[4])
        )
        assert hit.any()
        out.tables[name] = t[~hit]
    return out, keys


def test_every_figure_and_table_of_the_templates_has_its_provenance(default):
    tables = set()
    for path in TEMPLATES.rglob("*.j2"):
        tables |= set(re.findall(r'table_caption\(num, "(\w+)"', path.read_text()))
    assert tables == {key for kind, key in CATALOGUE if kind == "table"}
    assert set(figure_names(default.config)) == {key for kind, key in CATALOGUE if kind == "figure"}


def test_provenance_names_rules_scripts_commit_and_runs(default):
    lineage = Lineage(default.config, default.runs, commit="0123456789abcdef")
    p = lineage.of("figure", "batch_curves")
    assert [(s.rule, s.script) for s in p["steps"]] == [
        ("aggregate", "scripts/aggregate.py"),
        ("figures", "scripts/figures.py"),
    ]
    assert all(len(s.code) == 16 and "snakemake" in s.source for s in p["steps"])
    n_batch = int(((default.runs.backend == "numpy") & (default.runs.n_train == 50000)).sum())
    assert p["runs"] == f"NumPy B ∈ {{1, 10, 100, 1,000}}, N′ = 50,000 ({n_batch} runs)"
    assert p["commit"] == "0123456789ab" and p["pending"] == ""
    assert lineage.of("figure", "step_time")["runs"] == ""  # a measurement on the data, no run
    keys = run_keys([["numpy", 1, 100, "0.1", 0], ["pytorch", 100, 100, "chosen", 1]])
    assert describe(keys) == "NumPy B = 1, N′ = 100; PyTorch B = 100, N′ = 100 (2 runs)"


def test_the_html_has_a_provenance_line_under_each_figure_and_table_and_the_pdf_a_note(default):
    context = render.build_context(default, figures(default))
    html = render.render_html(context)
    shown = len(re.findall(r'<figure class="figure"', html)) + len(re.findall(r"<caption>", html))
    assert html.count('<details class="provenance">') == shown > 10
    assert 'href="#runs-batch"' in html and 'id="runs-batch"' in html
    assert '<pre class="provenance-source">' in html
    printed = render.render_html(context | {"print_mode": True})
    assert printed.count('<span class="provenance">') == shown and "<details" not in printed
    assert "DRAFT" not in html and "pending (" not in html


def test_the_final_report_refuses_a_partial_grid_naming_the_missing_run(default):
    partial, keys = without_run(default)
    with pytest.raises(render.IncompleteGridError, match=re.escape(REMOVED_PATH)) as err:
        render.build_context(partial, figures(partial), expected_runs=keys)
    assert f"1 of {len(keys)} are missing" in str(err.value) and "make draft" in str(err.value)


def test_the_draft_marks_every_claim_and_row_that_needs_the_missing_run(default):
    partial, keys = without_run(default)
    context = render.build_context(partial, figures(partial), expected_runs=keys, draft=True)
    html = render.render_html(context)
    n = len(keys)
    assert context["draft"] == {"present": n - 1, "expected": n}
    assert f"DRAFT — {n - 1} of {n} runs" in html  # the banner, and the PDF's page header
    assert re.search(rf'@top-left \{{ content: "DRAFT — {n - 1} of {n} runs"', html)
    facts = context["facts"]
    # B = 1,000 on the full set lacks one of its runs (the grid's on seed 0, the chosen lr's on
    # the other seeds): its row says so, the others are intact
    runs = default.runs
    n_point = int(((runs.backend == "numpy") & (runs.batch_size == 1000) & (runs.n_train == 50000)).sum())
    rows = {r["B"]: r for r in facts["batch_size"]["rows"]}
    assert f"pending ({n_point - 1} of {n_point} runs)" in str(rows["1,000"]["lr"]) and rows["100"]["lr"] == "0.003"
    assert facts["batch_size"]["diverged_everywhere"] == []  # not "every lr diverged": not known yet
    # the sections whose claims read that run are pending; the training-set sizes' are not
    n_batch = int(((default.runs.backend == "numpy") & (default.runs.n_train == 50000)).sum())
    assert facts["batch_size"]["claims"].pending == f"pending ({n_batch - 1} of {n_batch} runs)"
    assert facts["sgd"]["claims"].pending == f"pending ({n - 1} of {n} runs)"
    assert facts["training_set_size"]["claims"].pending == "" and facts["data"]["claims"].pending == ""
    section = html[html.index('<section id="batch_size"') : html.index('<section id="training_set_size"')]
    assert f"pending ({n_batch - 1} of {n_batch} runs)" in section
    assert REMOVED_PATH in html  # named in the list of runs read


def test_the_final_report_of_the_whole_grid_renders_and_says_nothing_is_pending(default):
    keys = run_keys(default.runs).to_numpy().tolist()
    context = render.build_context(default, figures(default), expected_runs=keys)
    assert context["draft"] is None and not len(context["lineage"].missing())
    assert all(f["claims"].pending == "" for f in context["facts"].values())
    assert grid.NUMPY in set(run_keys(default.runs).backend)


def test_the_draft_expects_the_other_seeds_at_the_chosen_lr_unless_every_lr_diverged(tmp_path, default):
    """With lr_search.seeds: first the seeds after the first train the chosen lr ("chosen"
    runs); a point whose search chose none (every lr diverged) expects none of them."""
    import json

    from mnist_sgd import layout
    from mnist_sgd.report.draft import expected_runs

    config = copy.deepcopy(default.config)
    config["lr_search"]["max_rounds"] = 0
    for p in grid.all_points(config):
        path = tmp_path / layout.lr_choice(grid.NUMPY, p.batch_size, p.n_train)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"chosen_lr": None if p.batch_size == 1 else 0.01}))
    runs = expected_runs(config, tmp_path)
    chosen = [r for r in runs if r.backend == grid.NUMPY and r.lr == grid.CHOSEN]
    points = {r.point for r in chosen}
    assert {r.seed for r in chosen} == {1, 2} and grid.Point(1, 50000) not in points
    assert len(chosen) == 2 * (len(grid.all_points(config)) - 1)
    grid_runs = [r for r in runs if r.backend == grid.NUMPY and r.lr != grid.CHOSEN]
    assert {r.seed for r in grid_runs} == {0}
    assert len(grid_runs) == len(grid.all_points(config)) * len(config["grid"]["learning_rates"])

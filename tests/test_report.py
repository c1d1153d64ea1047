"""The real HTML/PDF report built by Snakemake from a tiny run (the claims on hand-built and real
tables are tested in test_report_sections.py).

The end-to-end test runs the real workflow (``Snakefile`` with ``workflow/rules/report.smk``
included) on a tiny configuration in a temporary folder: training set = first 500 images,
B in {1, 100}, N' in {100, 500}, learning rates {0.03, 0.05}, 3 epochs, NumPy only. Every lr
diverges at B = 1 (single-example steps of 0.03 are unstable on MNIST) and both train at
B = 100, so the report must say that B = 1 has no result. Set ``MNIST_SGD_SNAKEFILE`` to test
another Snakefile.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import local_mnist_mirror, snakemake_command
from mnist_sgd import layout
from mnist_sgd.aggregate.tables import read_tables
from mnist_sgd.report.catalog import figure_names
from mnist_sgd.report.formats import fmt_acc, fmt_lr
from mnist_sgd.report.render import inline_svg
from mnist_sgd.report.sections import TITLES

# ---- pieces ----------------------------------------------------------------------


def test_inline_svg_prefixes_ids_and_drops_the_prolog():
    svg = (
        '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink"><metadata><rdf:RDF/></metadata>'
        '<defs><path id="m1"/></defs><use xlink:href="#m1"/><g clip-path="url(#p2)"/></svg>'
    )
    out = str(inline_svg(svg, "fig-a"))
    assert out.startswith("<svg ")
    assert 'id="fig-a-m1"' in out and 'xlink:href="#fig-a-m1"' in out and "url(#fig-a-p2)" in out
    assert "metadata" not in out


# ---- the real report from a tiny run -----------------------------------------------

TINY = {
    "data": {"n_train": 500, "n_val": 10000},
    "training": {"epochs": 3, "seeds": [0]},
    "grid": {
        "batch_sizes": [1, 100],
        "subset_sizes": [100, 500],
        "subset_batch_size": 100,
        "learning_rates": [0.03, 0.05],
    },
    "frameworks": {"backends": []},
    "lr_search": {"max_rounds": 1},  # one extra round: the report shows what the search tried
}
REPORT = [layout.report("html"), layout.report("pdf")]
#: Remote resource references: src/href attributes and CSS url() / @import pointing at http(s) or //.
REMOTE = re.compile(
    r"""(?:\b(?:src|href|xlink:href|srcset)\s*=\s*["']?\s*(?:https?:)?//)|(?:url\(\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:@import)""",
    re.I,
)


def snakefile(repo_root):
    path = os.environ.get("MNIST_SGD_SNAKEFILE") or str(repo_root / "Snakefile")
    if "report.smk" not in Path(path).read_text():
        pytest.fail(
            f"{path} does not include workflow/rules/report.smk: add "
            '`include: "workflow/rules/report.smk"` and the report targets to rule all'
        )
    return path


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "").replace("\u2010", "-"))


@pytest.fixture(scope="module")
def tiny_report(repo_root, tmp_path_factory):
    mirror = local_mnist_mirror()
    if mirror is None:
        pytest.skip("no MNIST mirror (set MNIST_MIRROR)")
    for tool in ("pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} missing: apt-get install -y poppler-utils")
    work = tmp_path_factory.mktemp("report")

    def command(*args):
        return snakemake_command(work, TINY, "--cores", "2", *args, snakefile=snakefile(repo_root))

    env = os.environ | {"MNIST_MIRROR": mirror}
    result = subprocess.run(command(*REPORT), env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = subprocess.run(
        command("--report", layout.snakemake_report()), env=env, capture_output=True, text=True, timeout=300
    )
    assert report.returncode == 0, report.stderr[-3000:]
    pdf = str(work / REPORT[1])
    return {
        "work": work,
        "tables": read_tables({t: work / layout.table(t) for t in layout.TABLES}),
        "html": (work / REPORT[0]).read_text(),
        "text": normalise(subprocess.run(["pdftotext", pdf, "-"], capture_output=True, text=True, check=True).stdout),
        "layout": subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout,
        "pdfinfo": subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout,
    }


def test_pdf_has_every_section_and_a_plausible_page_count(tiny_report):
    for title in TITLES.values():
        assert normalise(title) in tiny_report["text"], title
    pages = int(re.search(r"^Pages:\s+(\d+)", tiny_report["pdfinfo"], re.M)[1])
    assert 6 <= pages <= 25
    assert "Contents" in tiny_report["text"]
    assert f"page {pages} of {pages}" in tiny_report["text"]  # the footer's page numbers


def test_pdf_shows_the_chosen_lr_and_test_accuracy_of_the_aggregated_table(tiny_report):
    runs = tiny_report["tables"]["runs"]
    chosen = runs[(runs.batch_size == 100) & (runs.n_train == 500) & runs.chosen].iloc[0]
    assert not chosen.diverged
    # the row of B = 100 in the batch-size table: B, chosen lr, lr/B, ..., test accuracy
    lines = tiny_report["layout"].splitlines()
    i = next(i for i, line in enumerate(lines) if re.match(r"\s*100\s+\d", line))
    assert lines[i].split()[1:3] == [fmt_lr(chosen.lr), fmt_lr(chosen.lr / 100)]
    around = normalise(" ".join(lines[i - 2 : i + 3]))  # an accuracy sits above its interval
    assert normalise(fmt_acc(chosen.final_test_accuracy)) in around


def test_report_says_every_lr_diverged_at_b1(tiny_report):
    runs = tiny_report["tables"]["runs"]
    b1 = runs[runs.batch_size == 1]
    assert len(b1) == 2 and b1.diverged.all() and not b1.chosen.any()
    assert re.search(r"^\s*1\s+all diverged", tiny_report["layout"], re.M)
    assert "No framework was trained in this configuration" in tiny_report["text"]


def test_render_log_lists_every_claim_with_its_status(tiny_report):
    log = (tiny_report["work"] / layout.log("render_report")).read_text()
    lines = re.findall(r"^(holds|dropped|not asked)\s+(\w+)\.(\w+): ", log, re.M)
    assert {section for _, section, _ in lines} == set(TITLES)
    # every lr diverged at B = 1: no claim about B = 1's stable range is printed
    assert ("holds", "batch_size", "single_example_bound") not in lines


def test_html_is_self_contained_with_every_figure(tiny_report, repo_root):
    html = tiny_report["html"]
    assert not REMOTE.search(html), REMOTE.search(html)
    assert "<link" not in html and "<script" not in html
    config = yaml.safe_load((repo_root / "config.yaml").read_text()) | {}
    from mnist_sgd.config import validate_config

    for key, value in TINY.items():
        config[key] = config.get(key, {}) | value
    names = figure_names(validate_config(config))
    assert names == ["lr_choice", "batch_curves", "lr_over_b", "step_time", "subset_size"]
    for name in names:
        assert f'<figure class="figure" id="fig-{name}">' in html
        assert (tiny_report["work"] / layout.figure(name)).stat().st_size > 1000
    assert html.count("<svg ") == len(names)
    assert (tiny_report["work"] / layout.snakemake_report()).stat().st_size > 10000


def reader_text(html: str) -> str:
    """The report's text as a reader sees it, without code listings, styles and figures."""
    import html as html_lib

    html = re.sub(r'<div class="listing">.*?</div>\s*</div>', " ", html, flags=re.S)
    html = re.sub(r'<pre class="provenance-source">.*?</pre>', " ", html, flags=re.S)  # a script under a figure
    html = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    html = re.sub(r"</?(caption|th|td|tr|table|h\d|li|dt|dd)\b[^>]*>", " ¶ ", html)  # cells are not sentences
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def test_report_has_none_of_the_glitches_a_strict_reader_flags(tiny_report):
    from proofread import all_problems, backend_names, body_of

    problems = all_problems(
        reader_text(tiny_report["html"]), TINY["training"]["epochs"], len(TINY["training"]["seeds"])
    )
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}
    # the typeset PDF: no backend name broken across lines, no local path before the appendix
    assert backend_names(body_of(tiny_report["layout"])) == []
    assert "/work/" not in body_of(tiny_report["text"])


def test_report_shows_the_code_intervals_and_paired_tests(tiny_report):
    text = tiny_report["text"]
    assert "mnist_sgd.train.textbook.sgd_step" in text  # section 2: the textbook step itself
    assert "mnist_sgd.data.download.fetch_verified" in text and "mnist_sgd.train.compiled_kernel.sgd_epoch" in text
    assert "95 % Wilson interval" in text
    tests = pd.read_csv(tiny_report["work"] / layout.paired_tests())
    assert set(tests.kind) >= {"subset", "lr"}
    assert "McNemar" in text
    assert "means over" not in text  # one seed


def test_a_draft_renders_from_the_tiny_grid_with_a_run_removed(tiny_report, tmp_path):
    """A run lost for good (its files removed, with the lr search of its point, which needed it):
    `make draft`'s targets render from the runs there are and say what is pending, without
    asking for a training job."""
    work = tmp_path / "partial"
    shutil.copytree(tiny_report["work"], work, symlinks=True)  # copy2: the files keep their times
    lost = "results/runs/numpy/b100/n500/lr0.03/seed0"
    shutil.rmtree(work / lost)
    for stale in [
        *work.glob("results/lr_search/numpy/b100_n500"),
        *work.glob("results/lr_choice/numpy/b100_n500.json"),
    ]:
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    draft = ["results/report/draft.html", "results/report/draft.pdf"]
    env = os.environ | {"MNIST_MIRROR": local_mnist_mirror()}
    args = (*draft, "--cores", "1", "--rerun-triggers", "mtime")
    plan = subprocess.run(
        snakemake_command(work, TINY, "-n", *args), env=env, capture_output=True, text=True, timeout=300
    )
    assert plan.returncode == 0, plan.stderr[-3000:]
    assert re.search(r"^draft_report\s+1$", plan.stdout, re.M) and not re.search(r"^train", plan.stdout, re.M)
    result = subprocess.run(snakemake_command(work, TINY, *args), env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # every run of the grid as far as the lr search went: the point that lost a run lost its search too
    runs = tiny_report["tables"]["runs"]
    searched = (runs.batch_size == 100) & (runs.n_train == 500) & ~runs.lr.isin(TINY["grid"]["learning_rates"])
    expected = len(runs) - int(searched.sum())
    text = normalise(
        subprocess.run(["pdftotext", str(work / draft[1]), "-"], capture_output=True, text=True, check=True).stdout
    )
    pages = int(
        re.search(
            r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", str(work / draft[1])], capture_output=True, text=True).stdout
        )[1]
    )
    assert text.count(f"DRAFT — {expected - 1} of {expected} runs") >= pages  # on every page
    assert "pending (" in text and lost in text

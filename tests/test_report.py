"""The report: comments written from the numbers, and the real HTML/PDF built by Snakemake from a tiny run.

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
from mnist_sgd.report.catalog import figure_names
from mnist_sgd.report.commentary import batch_size_comment
from mnist_sgd.report.formats import fmt_acc, fmt_lr
from mnist_sgd.report.render import SECTIONS, inline_svg
from mnist_sgd.report.subset_commentary import subset_size_comment
from mnist_sgd.aggregate.tables import read_tables

# ---- comments from hand-built tables -----------------------------------------------


def runs_table(points: list[dict]) -> pd.DataFrame:
    """A runs table with one chosen, non-diverged NumPy run per point (plus given diverged runs)."""
    rows = []
    for p in points:
        base = {"backend": "numpy", "batch_size": p["B"], "n_train": p.get("N", 50000), "seed": 0}
        if p.get("lr") is not None:
            rows.append(
                base
                | {
                    "lr": p["lr"],
                    "chosen": True,
                    "diverged": False,
                    "train_seconds": p["t"],
                    "job_seconds": p["t"] + 1,
                    "updates": p.get("updates", p.get("N", 50000) // p["B"]),
                    "final_train_loss": p.get("loss", 0.21),
                    "floor_loss": p.get("floor", 0.197),
                    "final_train_accuracy": p.get("train_acc", p["acc"] + 0.01),
                    "final_val_accuracy": p["acc"],
                    "final_test_accuracy": p["acc"],
                }
            )
        for lr in p.get("diverged", []):
            rows.append(
                base
                | {
                    "lr": lr,
                    "chosen": False,
                    "diverged": True,
                    "train_seconds": 0.1,
                    "job_seconds": 1.1,
                    "updates": 1,
                    "final_train_loss": float("nan"),
                    "floor_loss": p.get("floor", 0.197),
                    "final_train_accuracy": 0.1,
                    "final_val_accuracy": 0.1,
                    "final_test_accuracy": 0.1,
                }
            )
    return pd.DataFrame(rows)


def test_batch_comment_says_larger_batches_were_not_faster_when_they_were_not():
    runs = runs_table(
        [
            {"B": 1, "lr": 0.003, "t": 2.0, "acc": 0.85},
            {"B": 10, "lr": 0.003, "t": 3.0, "acc": 0.86},
            {"B": 1000, "lr": 0.03, "t": 6.0, "acc": 0.86},
        ]
    )
    text = " ".join(batch_size_comment(runs, [1, 10, 1000], 50000, epochs=5))
    assert "Larger batches were not faster here: B = 1,000 took 3.0× as long as B = 1." in text
    assert "faster than the smallest" not in text


def test_batch_comment_reports_the_speed_up_and_a_non_monotone_time():
    runs = runs_table(
        [
            {"B": 1, "lr": 0.003, "t": 8.0, "acc": 0.83},
            {"B": 100, "lr": 0.003, "t": 0.5, "acc": 0.86},
            {"B": 1000, "lr": 0.03, "t": 1.0, "acc": 0.859},
        ]
    )
    text = " ".join(batch_size_comment(runs, [1, 100, 1000], 50000, epochs=5))
    assert "The largest batch (B = 1,000) trained 8.0× faster than the smallest (B = 1)." in text
    assert "Time did not fall steadily with B: the fastest was B = 100" in text
    # without a paired test no accuracy is called higher or lower
    assert "no difference between them is claimed" in text
    assert "most accurate" not in text and " above B = " not in text
    assert "The stable range grows with B" in text


def test_batch_comment_when_every_lr_diverged_at_one_b():
    runs = runs_table(
        [
            {"B": 1, "lr": None, "diverged": [0.03, 0.5]},
            {"B": 100, "lr": 0.03, "t": 0.7, "acc": 0.86, "diverged": [0.5]},
        ]
    )
    text = " ".join(batch_size_comment(runs, [1, 100], 50000, epochs=3))
    assert "At B = 1 every learning rate tried (0.03 and 0.5) diverged" in text
    assert "Only B = 100 trained stably" in text
    assert "B = 1: every lr tried diverged; B = 100: stable at 0.03, diverged at 0.5." in text


def floors_table(rows):
    return pd.DataFrame(
        [
            {"n_train": n, "seed": 0, "floor_loss": fl, "train_accuracy": tr, "test_accuracy": te}
            for n, fl, tr, te in rows
        ]
    )


def test_subset_comment_says_accuracy_did_not_increase_with_n_when_it_did_not():
    runs = runs_table(
        [
            {"B": 100, "N": 100, "lr": 0.03, "t": 0.01, "acc": 0.70},
            {"B": 100, "N": 1000, "lr": 0.03, "t": 0.1, "acc": 0.65},
            {"B": 100, "N": 10000, "lr": 0.03, "t": 1.0, "acc": 0.68},
        ]
    )
    floors = floors_table([(100, 0.0, 1.0, 0.6), (1000, 0.05, 0.99, 0.7), (10000, 0.18, 0.87, 0.84)])
    text = " ".join(subset_size_comment(runs, floors, [100, 1000, 10000], 100, epochs=5))
    assert "It did not increase with every step in N′: the most accurate was N′ = 100, not the largest subset." in text
    assert "rose" not in text
    assert "For N′ = 100 the least-squares floor is L* = 0" in text
    assert "SGD from zero, stopped after 5 epochs, tested better there (70.00\u00a0% at N′ = 100)" in text
    assert "The least-squares minimiser tested at least as well as SGD at N′ = 1,000 and N′ = 10,000." in text


def test_subset_comment_when_accuracy_rises_and_a_gap_is_within_the_noise():
    runs = runs_table(
        [
            {"B": 100, "N": 100, "lr": 0.03, "t": 0.01, "acc": 0.50, "train_acc": 0.74},
            {"B": 100, "N": 10000, "lr": 0.03, "t": 1.0, "acc": 0.85, "train_acc": 0.855},
        ]
    )
    floors = floors_table([(100, 0.0, 1.0, 0.57), (10000, 0.18, 0.87, 0.84)])
    text = " ".join(subset_size_comment(runs, floors, [100, 10000], 100, epochs=5))
    assert "It rose with every increase of N′, by 35.00\u00a0pp from N′ = 100 to N′ = 10,000." in text
    assert "24.00\u00a0pp above the test accuracy at N′ = 100" in text
    assert "At N′ = 10,000 the difference lies within the noise: no gap is measurable." in text
    assert "shrank" not in text  # one measurable gap is no trend


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
    for title in SECTIONS.values():
        assert normalise(title) in tiny_report["text"], title
    pages = int(re.search(r"^Pages:\s+(\d+)", tiny_report["pdfinfo"], re.M)[1])
    assert 8 <= pages <= 25
    assert "Contents" in tiny_report["text"]
    assert f"page {pages} of {pages}" in tiny_report["text"]  # the footer's page numbers


def test_pdf_states_the_measured_gradient_descent_bound(tiny_report):
    floors = tiny_report["tables"]["floors"]
    full = floors[floors.n_train == 500].iloc[0]
    assert full.lambda_max > 0 and full.gd_lr_bound == 2 / full.lambda_max
    assert f"XTX/n is {full.lambda_max:.2f}" in tiny_report["text"]
    assert f"stable only for lr < 2/λmax = {full.gd_lr_bound:.4f}" in tiny_report["text"]


def test_pdf_shows_the_chosen_lr_and_accuracies_of_the_aggregated_table(tiny_report):
    runs = tiny_report["tables"]["runs"]
    chosen = runs[(runs.batch_size == 100) & (runs.n_train == 500) & runs.chosen].iloc[0]
    assert not chosen.diverged
    # the row of B = 100 in the batch-size table: B, chosen lr, ..., train, val and test accuracy
    lines = tiny_report["layout"].splitlines()
    i = next(i for i, line in enumerate(lines) if re.match(r"\s*100\s+\d", line))
    assert lines[i].split()[1] == fmt_lr(chosen.lr)
    line = normalise(" ".join(lines[i - 2 : i + 3]))  # accuracies sit above their intervals
    for acc in (chosen.final_train_accuracy, chosen.final_val_accuracy, chosen.final_test_accuracy):
        assert normalise(fmt_acc(acc)) in line
    # and the same numbers in the training-set-size comment
    assert (
        f"Test accuracy at B = 100: {normalise(fmt_acc(float(runs[(runs.batch_size == 100) & (runs.n_train == 100) & runs.chosen].final_test_accuracy.iloc[0])))}"
        in tiny_report["text"]
    )


def test_report_says_every_lr_diverged_at_b1(tiny_report):
    runs = tiny_report["tables"]["runs"]
    b1 = runs[runs.batch_size == 1]
    assert len(b1) == 2 and b1.diverged.all() and not b1.chosen.any()
    text = tiny_report["text"]
    assert "At B = 1 every learning rate diverged" in text
    assert "At B = 1 every learning rate tried (0.03 and 0.05) diverged" in text
    assert re.search(r"^\s*1\s+all diverged", tiny_report["layout"], re.M)
    assert "No framework backend was trained in this run" in text


def test_html_is_self_contained_with_every_figure(tiny_report, repo_root):
    html = tiny_report["html"]
    assert not REMOTE.search(html), REMOTE.search(html)
    assert "<link" not in html and "<script" not in html
    config = yaml.safe_load((repo_root / "config.yaml").read_text()) | {}
    from mnist_sgd.config import validate_config

    for key, value in TINY.items():
        config[key] = config.get(key, {}) | value
    names = figure_names(validate_config(config))
    assert names == ["batch_b1", "batch_b100", "batch_tradeoff", "lr_sweep", "subset_size"]
    for name in names:
        assert f'<figure class="figure" id="fig-{name}">' in html
        assert (tiny_report["work"] / layout.figure(name)).stat().st_size > 1000
    assert html.count("<svg ") == len(names)
    assert (tiny_report["work"] / layout.snakemake_report()).stat().st_size > 10000


def reader_text(html: str) -> str:
    """The report's text as a reader sees it, without code listings, styles and figures."""
    import html as html_lib

    html = re.sub(r'<div class="listing">.*?</div>\s*</div>', " ", html, flags=re.S)
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


def test_report_shows_the_data_code_intervals_and_paired_tests(tiny_report):
    text = tiny_report["text"]
    assert "mnist_sgd.data.download.fetch_verified" in text and "mnist_sgd.data.idx.parse_idx" in text
    assert "95 % Wilson interval" in text
    tests = pd.read_csv(tiny_report["work"] / layout.paired_tests())
    assert set(tests.kind) >= {"subset", "lr"}
    assert "indistinguishable at this sample size" in text or "McNemar" in text
    assert "over seeds" not in text  # one seed

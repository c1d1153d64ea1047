"""Render the assignment report (HTML and PDF) from the aggregated tables, figures and provenance.

The HTML is self-contained: the stylesheet is inlined, the figures are inlined as SVG (their
element ids prefixed per figure so they cannot clash), and nothing refers to a remote
resource. The PDF is WeasyPrint's rendering of the same HTML (A4, print rules of the same
stylesheet: page numbers in the footer, a table of contents with page numbers).
"""

from __future__ import annotations

import base64
import inspect
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import jinja2
import yaml
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from mnist_sgd import grid, layout
from mnist_sgd.atomic import write_atomically
from mnist_sgd.data import dataset, download, idx
from mnist_sgd.report import commentary, subset_commentary
from mnist_sgd.report.brackets import criterion, has_brackets
from mnist_sgd.report.catalog import batch_figure, caption_name, figure_names
from mnist_sgd.report.formats import count_words, fmt_acc, fmt_int, fmt_loss, fmt_lr, fmt_pp, fmt_seconds
from mnist_sgd.report.queries import full_set_curvature, point_result
from mnist_sgd.report.table_rows import (
    TIMING_ROWS_PER_JOB,
    batch_rows,
    consistency_rows,
    data_rows,
    idiomatic_rows,
    irregular_runs,
    lr_grid_rows,
    split_sizes,
    subset_rows,
    timing_groups,
    timing_rows,
    where_jobs_ran,
)
from mnist_sgd.train import kernels, sgd

#: The repository (templates, captions and stylesheet are read from it).
REPO = Path(__file__).resolve().parents[2]

#: Section titles, in order (the tests look for each in the PDF's text).
SECTIONS = {
    "data": "1 Data",
    "sgd": "2 Minibatch SGD, hand-coded in NumPy",
    "batch": "3 Role of the batch size",
    "batch-comment": "4 Comment on the batch size",
    "subset": "5 Role of the training-set size",
    "frameworks": "6 Framework check",
    "provenance": "Appendix: provenance",
}

#: The functions whose real source the report prints (question 2): the reference update in
#: NumPy, then the compiled kernel that trained the runs.
SGD_FUNCTIONS = (sgd.sgd_step, kernels._scores, kernels.sgd_epoch)

#: The functions that download, parse and cache the data, whose real source section 1 prints (question 1).
DATA_FUNCTIONS = (
    download.fetch_verified,
    download.decompress_if_gzip,
    idx.parse_idx,
    dataset.flatten_and_scale,
    dataset.build_arrays,
    dataset.one_hot,
)

LOSS_FORMULA = "L(W) = 1/(2n) · Σᵢ ‖Wᵀxᵢ − yᵢ‖²"


@dataclass
class Numbering:
    """Figure and table numbers in order of first mention (a caption or a reference)."""

    figures: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)

    def fig(self, key: str) -> int:
        return self.figures.setdefault(key, len(self.figures) + 1)

    def tab(self, key: str) -> int:
        return self.tables.setdefault(key, len(self.tables) + 1)


# ---- pieces ------------------------------------------------------------------------


def inline_svg(svg: str, prefix: str) -> Markup:
    """SVG file text -> an element for inlining: no XML prolog, no metadata, ids prefixed."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m[1]}"', svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m[1]}="#{prefix}-{m[2]}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m[1]})", svg)
    svg = svg.replace("<svg ", f'<svg role="img" aria-labelledby="{prefix}-title" ', 1)
    return Markup(svg)


def svg_image(svg: str, name: str) -> Markup:
    """SVG file text -> an ``<img>`` of it, for the PDF. WeasyPrint draws it as it draws the inline
    element, but does not parse its thousands of elements as HTML nor style each with the
    stylesheet: 3 s less of 15 on the 40-seed report."""
    data = base64.b64encode(svg.encode()).decode()
    return Markup(f'<img class="svg" alt="figure {name}" src="data:image/svg+xml;base64,{data}">')


def sgd_source(functions=None) -> list[dict]:
    """The real source of ``functions`` (default: the SGD functions), highlighted, with file and line numbers."""
    formatter = HtmlFormatter(cssclass="code", linenos=False)
    out = []
    for compiled in SGD_FUNCTIONS if functions is None else functions:
        fn = getattr(compiled, "py_func", compiled)  # a Numba kernel's Python source
        lines, start = inspect.getsourcelines(fn)
        path = Path(inspect.getsourcefile(fn)).resolve()
        try:
            path = path.relative_to(REPO)
        except ValueError:
            pass
        out.append(
            {
                "name": f"{fn.__module__}.{fn.__qualname__}",
                "file": path.as_posix(),
                "first": start,
                "last": start + len(lines) - 1,
                "html": Markup(highlight("".join(lines), PythonLexer(), formatter)),
            }
        )
    return out


def pygments_css() -> str:
    return HtmlFormatter(style="friendly").get_style_defs(".code")


# ---- the whole report --------------------------------------------------------------


def captions(config: dict) -> dict[str, str]:
    """Every figure's caption, rendered from its file (the one Snakemake's report shows too)."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    snakemake = SimpleNamespace(config=config)
    return {
        name: env.from_string((REPO / layout.caption(caption_name(name))).read_text())
        .render(snakemake=snakemake)
        .strip()
        for name in figure_names(config)
    }


class _ConfigDumper(yaml.SafeDumper):
    """YAML with lists of numbers or short words on one line (wrapped): 40 seeds take 2 lines, not 40."""


def _short(x) -> bool:
    return isinstance(x, (int, float)) or (isinstance(x, str) and len(x) <= 20)


_ConfigDumper.add_representer(
    list,
    lambda dumper, data: dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=all(map(_short, data))),
)


def config_yaml(config: dict) -> str:
    """The configuration as the appendix prints it (YAML that reads back to ``config``)."""
    return yaml.dump(config, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, width=90)


def data_origin(sources: dict) -> str:
    """Where the MNIST files came from, for the body of the report: the mirror URL, or "a local
    copy" (a local path belongs to the provenance appendix only)."""
    files = sources.get("files") or []
    if not files:
        return "an unknown source"
    where = {f["source"].rsplit("/", 1)[0] for f in files}
    remote = sorted(w for w in where if w.startswith(("http://", "https://")))
    if remote and len(remote) == len(where):
        return ", ".join(remote)
    return "a local copy of the MNIST files (its location is listed in the appendix)"


def build_context(
    tables: dict,
    config: dict,
    manifest: dict,
    sources: dict,
    provenance: dict,
    figures: dict[str, str],
    tests=None,
) -> dict:
    """Everything the templates show; ``figures`` maps figure names to SVG text, ``tests`` is the
    paired-tests table (None: no comparison is called a difference)."""
    n_full = config["data"]["n_train"]
    epochs = config["training"]["epochs"]
    seeds = config["training"]["seeds"]
    batch_points = grid.batch_points(config)
    subset_points = grid.subset_points(config)
    frameworks = config["frameworks"]["backends"]
    cmp_point = grid.comparison_point(config)
    missing = [name for name in figure_names(config) if name not in figures]
    if missing:
        raise ValueError(f"figures missing from the report's inputs: {missing}")
    sizes = split_sizes(manifest)
    lr_cols, lr_rows = lr_grid_rows(tables, config, grid.all_points(config), sizes.get("val", config["data"]["n_val"]))
    curvature = full_set_curvature(tables["floors"], n_full)
    rows = batch_rows(tables, config, sizes)
    return {
        "title": config["report"]["title"],
        "author": config["report"]["author"],
        "created": provenance.get("created", ""),
        "sections": SECTIONS,
        "num": Numbering(),
        "config": config,
        "epochs": epochs,
        "seeds": seeds,
        "seeds_text": count_words(len(seeds), "seed"),
        "n_full": fmt_int(n_full),
        "n_val": fmt_int(config["data"]["n_val"]),
        "n_test": fmt_int(sizes.get("test", 10000)),
        # the same formula with HTML sub/superscripts: the Unicode ones come from a fallback font,
        # after which WeasyPrint breaks the next line early
        "loss_formula": Markup(
            "L(W) = 1/(2n) · Σ<sub>i</sub> ‖W<sup>T</sup>x<sub>i</sub> − y<sub>i</sub>‖<sup>2</sup>"
        ),
        "figures": {name: inline_svg(svg, f"fig-{name}") for name, svg in figures.items()},
        "captions": captions(config),
        "manifest": manifest,
        "data_rows": data_rows(manifest),
        "pixel_mean": manifest.get("pixel_mean"),
        "pixel_std": manifest.get("pixel_std"),
        "data_origin": data_origin(sources),
        "data_source": sgd_source(DATA_FUNCTIONS),
        "sgd_source": sgd_source(),
        "batch_sizes": [fmt_int(p.batch_size) for p in batch_points],
        "batch_figures": [(batch_figure(p.batch_size), f"B = {fmt_int(p.batch_size)}") for p in batch_points],
        "batch_rows": rows,
        "full_set_curvature": curvature,
        "all_diverged_batches": [r["B"] for r in rows if not r["ok"]],
        "lr_columns": lr_cols,
        "lr_rows": lr_rows,
        "lr_criterion": criterion(tables),
        "has_brackets": has_brackets(tables),
        "batch_comment": commentary.batch_size_comment(
            tables["runs"],
            [p.batch_size for p in batch_points],
            n_full,
            epochs,
            tables=tables,
            tests=tests,
            curvature=curvature,
        )
        if batch_points
        else [],
        "subset_batch": fmt_int(config["grid"]["subset_batch_size"]),
        "subset_rows": subset_rows(tables, config, sizes),
        "subset_comment": subset_commentary.subset_size_comment(
            tables["runs"],
            tables["floors"],
            [p.n_train for p in subset_points],
            config["grid"]["subset_batch_size"],
            epochs,
            n_full,
            tables=tables,
            tests=tests,
        )
        if subset_points
        else [],
        "frameworks": frameworks,
        "framework_names": [grid.BACKEND_NAMES.get(b, b) for b in frameworks],
        "cmp_point": {"B": fmt_int(cmp_point.batch_size), "N": fmt_int(cmp_point.n_train)},
        "cmp_lr": fmt_lr(point_result(tables["runs"], cmp_point.batch_size, cmp_point.n_train).lr),
        "consistency_rows": consistency_rows(tables, tests),
        "idiomatic_rows": idiomatic_rows(tables, config, tests, sizes["test"]),
        "irregular_runs": irregular_runs(tables),
        "tolerances": config["consistency"][config["training"]["dtype"]],
        "provenance": provenance,
        "config_yaml": config_yaml(provenance.get("config", config)),
        "timing_rows": timing_rows(provenance),
        "timing_groups": timing_groups(tables),
        "timing_per_job": len(provenance["timings"]["jobs"]) <= TIMING_ROWS_PER_JOB,
        "where_jobs_ran": where_jobs_ran(tables),
    }


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(REPO / layout.REPORT_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        acc=fmt_acc, lr=fmt_lr, loss=fmt_loss, seconds=fmt_seconds, pp=fmt_pp, int=fmt_int, count=count_words
    )
    return env


def render_html(context: dict) -> str:
    css = (
        (REPO / layout.REPORT_STYLESHEET).read_text()
        + "\n/* code highlighting (Pygments, style 'friendly') */\n"
        + pygments_css()
    )
    return environment().get_template("report.html.j2").render(**context, css=Markup(css))


def render_pdf(html: str) -> bytes:
    """The PDF of ``html`` (WeasyPrint)."""
    import weasyprint  # imported here: only the PDF needs it

    return weasyprint.HTML(string=html, base_url=str(REPO)).write_pdf()


def render(
    tables: dict,
    config: dict,
    manifest_path,
    sources_path,
    provenance_path,
    figure_paths: dict[str, str],
    html_path,
    pdf_path,
    paired_tests_path=None,
) -> None:
    """Write the HTML and the PDF report."""
    figures = {name: Path(p).read_text() for name, p in figure_paths.items()}
    tests = None
    if paired_tests_path is not None:
        import pandas as pd

        tests = pd.read_csv(paired_tests_path)
    context = build_context(
        tables,
        config,
        json.loads(Path(manifest_path).read_text()),
        json.loads(Path(sources_path).read_text()),
        json.loads(Path(provenance_path).read_text()),
        figures,
        tests,
    )
    html = render_html(context)
    write_atomically(html.encode(), html_path)
    pdf_figures = {name: svg_image(svg, name) for name, svg in figures.items()}
    write_atomically(render_pdf(render_html(context | {"figures": pdf_figures})), pdf_path)

"""Render the assignment report (HTML and PDF): each section's facts and claims from its module,
its words from its template, the figures inlined.

The HTML is self-contained: the stylesheet is inlined, the figures are inlined as SVG (their
element ids prefixed per figure so they cannot clash), and nothing refers to a remote
resource. The PDF is WeasyPrint's rendering of the same HTML (A4, the print rules of the
same stylesheet).
"""

from __future__ import annotations

import base64
import importlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import jinja2
import jinja2.ext
import numpy as np
import pandas as pd
from markupsafe import Markup
from pygments.formatters import HtmlFormatter

from mnist_sgd import grid, layout
from mnist_sgd.atomic import write_atomically
from mnist_sgd.data import dataset
from mnist_sgd.report.catalog import caption_name, figure_names
from mnist_sgd.report.claims import claim_log, ledger
from mnist_sgd.report.formats import count_words, fmt_acc, fmt_int, fmt_loss, fmt_lr, fmt_seconds
from mnist_sgd.report.lineage import Lineage, run_path
from mnist_sgd.report.queries import ReportInputs
from mnist_sgd.report.sections import TITLES

#: Pixels of an MNIST image (28 × 28), where a manifest does not give the images' shape.
MNIST_PIXELS = 28 * 28

#: The repository (templates, captions and stylesheet are read from it).
REPO = Path(__file__).resolve().parents[2]


@dataclass
class Numbering:
    """Figure and table numbers in order of first mention (a caption or a reference)."""

    figures: dict[str, int] = field(default_factory=dict)
    tables: dict[str, int] = field(default_factory=dict)

    def fig(self, key: str) -> int:
        return self.figures.setdefault(key, len(self.figures) + 1)

    def tab(self, key: str) -> int:
        return self.tables.setdefault(key, len(self.tables) + 1)


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
    """SVG file text -> an ``<img>`` of it, for the PDF: WeasyPrint draws it as it draws the inline
    element without parsing its thousands of elements as HTML."""
    data = base64.b64encode(svg.encode()).decode()
    return Markup(f'<img class="svg" alt="figure {name}" src="data:image/svg+xml;base64,{data}">')


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


def data_shape(inputs: ReportInputs) -> dict[str, str]:
    """The numbers the report's prose states about the data itself, from the manifest (the
    dataset's constants where a test's manifest lacks them): pixels per image, classes, the
    largest pixel value the images are divided by, and the images of MNIST's training file."""
    splits = inputs.manifest.get("splits", {})
    train = splits.get("train", {})
    pixels = train.get("images", {}).get("shape", [0, MNIST_PIXELS])[1]
    classes = len(train.get("label_counts") or []) or dataset.N_CLASSES
    return {
        "pixels": fmt_int(pixels),
        "classes": fmt_int(classes),
        "pixel_max": fmt_int(np.iinfo(np.uint8).max),  # IDX pixels are uint8
        "mnist_train": fmt_int(sum(dataset.TRAIN_LABEL_COUNTS)),
    }


def section_facts(inputs: ReportInputs) -> dict[str, dict]:
    """Every section's facts and claims, from its module (:mod:`mnist_sgd.report.sections`).

    With several seeds each section is computed again on every seed's runs alone, and its
    per-seed claims record whether they hold there (:meth:`mnist_sgd.report.claims.Claims.add_seed`)."""
    modules = {name: importlib.import_module(f"mnist_sgd.report.sections.{name}") for name in TITLES}
    facts = {name: module.facts(inputs) for name, module in modules.items()}
    if len(inputs.seeds) > 1:
        for seed in inputs.seeds:
            alone = inputs.for_seed(seed)
            for name, module in modules.items():
                facts[name]["claims"].add_seed(seed, module.facts(alone)["claims"])
    return facts


class IncompleteGridError(RuntimeError):
    """The final report was asked for while some runs of the grid are missing."""


#: The runs each section's claims read (a scope of :data:`mnist_sgd.report.lineage.SCOPES`;
#: None: no run). In a draft, a claim whose section lacks some of its runs is printed as pending.
SECTION_SCOPES = {
    "data": None,
    "sgd": "all",
    "batch_size": "batch",
    "training_set_size": "subset",
    "frameworks": "frameworks",
    "appendix": "all",
}


def _number(text) -> int:
    return int(str(text).replace(",", ""))


def _backend_id(name: str) -> str:
    return {v: k for k, v in grid.BACKEND_NAMES.items()}.get(name, name)


def _point_of_row(section: str, table: str, row: dict, config: dict) -> tuple[str, int, int]:
    """(backend, B, N') of the runs a table row of the report reads (:data:`PENDING_ROWS`)."""
    if section == "batch_size":
        return grid.NUMPY, _number(row["B"]), _number(row["N"]) if "N" in row else int(config["data"]["n_train"])
    if section == "training_set_size":
        return grid.NUMPY, int(config["grid"]["subset_batch_size"]), _number(row["N"])
    point = grid.comparison_point(config)
    return _backend_id(row["backend"]), point.batch_size, point.n_train


#: Table rows that each read the runs of one (backend, B, N'): section -> {facts key: the
#: fields that name the row (kept in a draft; every other cell of a row with a missing run
#: says pending)}.
PENDING_ROWS = {
    "batch_size": {"rows": ("B",), "lr_rows": ("B", "N")},
    "training_set_size": {"rows": ("N", "full")},
    "frameworks": {"exact": ("backend", "seed"), "idiomatic": ("backend",)},
}


def _pending_row(row: dict, keep: tuple[str, ...], text: str) -> dict:
    """The row with its first cell saying "pending (k of m runs)" and every other one "pending"."""
    text = Markup('<span class="pending">{}</span>').format(text)
    out, first = {}, True
    for k, v in row.items():
        if k not in keep and k not in ("ok", "verdict", "cls") and v not in ("", None) and not isinstance(v, bool):
            v_text, first = (text if first else Markup('<span class="pending">pending</span>')), False
        else:
            v_text = text
        if k in keep or isinstance(v, bool) and k != "ok":
            out[k] = v
        elif k == "ok":
            out[k] = True  # not "all diverged": not known yet
        elif k in ("verdict", "cls"):  # CSS classes
            out[k] = "pending"
        elif isinstance(v, dict) and "value" in v:
            out[k] = {"value": v_text, "ci": "", "seeds": ""}
        elif isinstance(v, list):
            out[k] = [{"cls": "pending", "text": v_text if i == 0 else "", "seeds": ""} for i in range(len(v))]
        elif v in ("", None):
            out[k] = v
        else:
            out[k] = v_text
    return out


def mark_pending(facts: dict[str, dict], lineage: Lineage, config: dict) -> None:
    """A draft's facts: every claim of a section that lacks some of its runs, and every table
    row that lacks some of its runs, says "pending (k of m runs)" (in place)."""
    for section, scope in SECTION_SCOPES.items():
        if scope is not None and section in facts:
            facts[section]["claims"].pending = lineage.coverage(scope).pending
    if "batch_size" in facts:  # no verdict of "every lr diverged" on a point still missing runs
        n_full = int(config["data"]["n_train"])
        facts["batch_size"]["diverged_everywhere"] = [
            b
            for b in facts["batch_size"].get("diverged_everywhere") or []
            if lineage.point_coverage(_number(b), n_full).complete
        ]
    for section, tables in PENDING_ROWS.items():
        for key, keep in tables.items():
            rows = facts.get(section, {}).get(key) or []
            for i, row in enumerate(rows):
                backend, batch, n = _point_of_row(section, key, row, config)
                cov = lineage.point_coverage(batch, n, backend)
                if not cov.complete:
                    rows[i] = _pending_row(row, keep, cov.pending)


def build_context(inputs: ReportInputs, figures: dict[str, str], expected_runs=None, draft: bool = False) -> dict:
    """Everything the templates show; ``figures`` maps figure names to SVG text.

    ``expected_runs``: the key of every run the grid has ([backend, B, N', lr text, seed]; by
    default the runs of the runs table). The final report refuses to render when one is missing
    from the runs table (:class:`IncompleteGridError`, naming them); a ``draft`` renders, and
    says "pending (k of m runs)" wherever a missing run would count."""
    config = inputs.config
    lineage = Lineage(
        config, inputs.runs, expected_runs, commit=(inputs.provenance.get("git") or {}).get("commit") or "", draft=draft
    )
    missing_runs = lineage.missing()
    if len(missing_runs) and not draft:
        paths = [run_path(k) for k in missing_runs.itertuples()]
        raise IncompleteGridError(
            f"the final report needs every run of the grid; {len(paths)} of {len(lineage.expected)} are missing: "
            + ", ".join(paths[:20])
            + (", …" if len(paths) > 20 else "")
            + ". Fix: rerun them (make report; a job that failed for good: see its log under logs/train*/), "
            "or render a draft from the runs there are (make draft)."
        )
    missing = [name for name in figure_names(config) if name not in figures]
    if missing:
        raise ValueError(f"figures missing from the report's inputs: {missing}")
    lc = inputs.tables["lr_choice"]
    criteria = [t for t in lc.criterion.dropna().unique() if t] if "criterion" in lc else []
    seeds = inputs.seeds
    facts = section_facts(inputs)
    if draft:
        mark_pending(facts, lineage, config)
    return {
        "draft": {"present": len(lineage.expected) - len(missing_runs), "expected": len(lineage.expected)}
        if draft
        else None,
        "lineage": lineage,
        "runs_read": lineage.listing(),
        "print_mode": False,
        "title": config["report"]["title"],
        "author": config["report"].get("author") or "",
        "created": inputs.provenance.get("created", ""),
        "titles": TITLES,
        "facts": facts,
        # called by the appendix, after the sections before it have asked for their claims
        "claim_ledger": lambda: ledger(facts),
        "num": Numbering(),
        "config": config,
        "seeds": seeds,
        "seeds_text": count_words(len(seeds), "seed"),
        # the seeds the lr search trained every lr on; the others trained the chosen lr only
        "search_seeds": grid.search_seeds(config),
        "n_full": fmt_int(inputs.n_full),
        "n_val": fmt_int(inputs.images("val")),
        "n_test": fmt_int(inputs.images("test")),
        "epochs": fmt_int(inputs.epochs),
        **data_shape(inputs),
        "lr_criterion": criteria[0] if len(criteria) == 1 else "the criterion of the configuration",
        "framework_names": [grid.BACKEND_NAMES.get(b, b) for b in config["frameworks"]["backends"]],
        "figures": {name: inline_svg(svg, f"fig-{name}") for name, svg in figures.items()},
        "captions": captions(config),
        "provenance": inputs.provenance,
    }


class PendingClaims(jinja2.ext.Extension):
    """Every test of a claim in a template (``{% if c.id %}``, ``{% elif … c.id … %}``, ``c`` the
    section's claims) first asks whether the section's claims are pending (a draft that lacks
    some of their runs: :func:`mark_pending`) and then prints "pending (k of m runs)" instead
    of either branch; in the final report ``c.pending`` is empty and the test is the written one."""

    _TEST = re.compile(r"\{%(-?)\s*(if|elif)\s+([^%]*?\bc\.\w+[^%]*?)\s*(-?)%\}")

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        def rewrite(m: re.Match) -> str:
            left, keyword, test, right = m.groups()
            return (
                f'{{%{left} {keyword} c.pending %}}<strong class="pending">{{{{ c.pending }}}}</strong>'
                f"{{% elif {test} {right}%}}"
            )

        # only the sections' templates name their claims ``c`` (``{% set c = s.claims %}``)
        return self._TEST.sub(rewrite, source) if (name or "").startswith("sections/") else source


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        extensions=[PendingClaims],
        loader=jinja2.FileSystemLoader(REPO / layout.REPORT_TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=True,
    )
    env.filters.update(acc=fmt_acc, lr=fmt_lr, loss=fmt_loss, seconds=fmt_seconds, int=fmt_int, count=count_words)
    return env


def render_html(context: dict) -> str:
    css = (
        (REPO / layout.REPORT_STYLESHEET).read_text()
        + "\n/* code highlighting (Pygments, style 'friendly') */\n"
        + HtmlFormatter(style="friendly").get_style_defs(".code")
    )
    env = environment()
    env.globals.update(lineage=context["lineage"], print_mode=context["print_mode"])
    html = env.get_template("report.html.j2").render(**context, css=Markup(css))
    # a paragraph of several pending claims says so once
    return re.sub(r'(<strong class="pending">([^<]*)</strong>)(\s*<strong class="pending">\2</strong>)+', r"\1", html)


def render_pdf(html: str) -> bytes:
    """The PDF of ``html`` (WeasyPrint)."""
    import weasyprint  # imported here: only the PDF needs it

    return weasyprint.HTML(string=html, base_url=str(REPO)).write_pdf()


def read_inputs(
    tables: dict,
    config: dict,
    manifest_path,
    sources_path,
    provenance_path,
    paired_tests_path=None,
    step_timing_path=None,
) -> ReportInputs:
    """The report's inputs from their files (``tables`` already read)."""
    return ReportInputs(
        tables=tables,
        config=config,
        manifest=json.loads(Path(manifest_path).read_text()),
        sources=json.loads(Path(sources_path).read_text()),
        provenance=json.loads(Path(provenance_path).read_text()),
        tests=None if paired_tests_path is None else pd.read_csv(paired_tests_path),
        step_timing=None if step_timing_path is None else pd.read_csv(step_timing_path),
    )


def render(
    inputs: ReportInputs,
    figure_paths: dict[str, str],
    html_path,
    pdf_path,
    ledger_path=None,
    expected_runs=None,
    draft: bool = False,
) -> list[str]:
    """Write the HTML and the PDF report (a draft with ``draft``: see :func:`build_context`),
    and the claim ledger (JSON) if ``ledger_path`` is given; returns the claim log (one line
    per claim)."""
    figures = {name: Path(p).read_text() for name, p in figure_paths.items()}
    context = build_context(inputs, figures, expected_runs, draft)
    html = render_html(context)
    pdf_figures = {name: svg_image(svg, name) for name, svg in figures.items()}
    pdf = render_pdf(render_html(context | {"figures": pdf_figures, "print_mode": True}))
    # the statuses are known once the templates have asked for the claims
    if ledger_path is not None:
        write_atomically((json.dumps(ledger(context["facts"]), indent=1) + "\n").encode(), ledger_path)
    write_atomically(html.encode(), html_path)
    write_atomically(pdf, pdf_path)
    return claim_log(context["facts"])

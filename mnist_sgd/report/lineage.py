"""Where each figure and table of the report comes from: the rules and scripts that made it, and
the runs (wildcard sets) it read; and how many of those runs a draft has.

:data:`CATALOGUE` is the one list: figure or table -> the rules from the first that read the
runs to the one that drew it, and the scope of runs it read (:data:`SCOPES`). The templates
print it through the ``figure`` and ``table_caption`` macros (a line under each figure and
table), so no template types a provenance by hand. A scope's runs are chosen from run keys
(backend, batch_size, n_train, lr_path, seed): the runs the report was built from, and in a
draft the runs it expected (:class:`Lineage`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from mnist_sgd import code_deps, grid, layout
from mnist_sgd.report.formats import fmt_int, fmt_lr, join_words

RUN_KEY = ["backend", "batch_size", "n_train", "lr_path", "seed"]

#: The rule that writes the draft report; it also aggregates and draws what the final report's
#: rules aggregate, test and draw (:data:`DRAFT_FOLDS`).
DRAFT_RULE = "draft_report"
DRAFT_FOLDS = ("aggregate", "paired_tests", "figures", "provenance", "render_report")


@dataclass(frozen=True)
class Made:
    """How one figure or table was made: ``rules`` in order (the last one drew it), and the
    scope of the runs it read (None: it reads no run)."""

    rules: tuple[str, ...]
    scope: str | None


_BATCH_FIGURE = Made(("aggregate", "figures"), "batch")

#: ("figure" | "table", key) -> how it was made. Tables are keyed as the templates number them.
CATALOGUE: dict[tuple[str, str], Made] = {
    ("figure", "lr_choice"): _BATCH_FIGURE,
    ("figure", "batch_curves"): _BATCH_FIGURE,
    ("figure", "lr_over_b"): _BATCH_FIGURE,
    ("figure", "step_time"): Made(("time_sgd_step", "figures"), None),
    ("figure", "subset_size"): Made(("aggregate", "figures"), "subset"),
    ("figure", "backends"): Made(("aggregate", "figures"), "frameworks"),
    ("table", "batch"): Made(("aggregate", "paired_tests", "render_report"), "batch"),
    ("table", "lr"): Made(("aggregate", "render_report"), "lr_search"),
    ("table", "time"): Made(("time_sgd_step", "render_report"), None),
    ("table", "subset"): Made(("aggregate", "paired_tests", "render_report"), "subset"),
    ("table", "consistency"): Made(("compare_backends", "aggregate", "render_report"), "frameworks"),
    ("table", "idiomatic"): Made(("aggregate", "paired_tests", "render_report"), "frameworks"),
    ("table", "data"): Made(("build_arrays", "render_report"), None),
    ("table", "files"): Made(("mnist_sources", "render_report"), None),
    ("table", "timings"): Made(("aggregate", "provenance", "render_report"), "all"),
    ("table", "claims"): Made(("aggregate", "paired_tests", "render_report"), "all"),
}


def _batch(keys: pd.DataFrame, config: dict) -> pd.Series:
    return (
        (keys.backend == grid.NUMPY)
        & (keys.n_train == int(config["data"]["n_train"]))
        & keys.batch_size.isin(config["grid"]["batch_sizes"])
    )


def _subset(keys: pd.DataFrame, config: dict) -> pd.Series:
    sizes = [*config["grid"]["subset_sizes"], int(config["data"]["n_train"])]
    return (
        (keys.backend == grid.NUMPY)
        & (keys.batch_size == int(config["grid"]["subset_batch_size"]))
        & keys.n_train.isin(sizes)
    )


def _frameworks(keys: pd.DataFrame, config: dict) -> pd.Series:
    point = grid.comparison_point(config)
    at_point = (keys.batch_size == point.batch_size) & (keys.n_train == point.n_train)
    return (keys.backend != grid.NUMPY) | (at_point & bool(config["frameworks"]["backends"]))


#: Scope -> (what it is, which run keys are in it).
SCOPES: dict[str, tuple[str, Callable[[pd.DataFrame, dict], pd.Series]]] = {
    "batch": ("the batch sizes on the full training set (section 3)", _batch),
    "subset": ("the training-set sizes (section 4)", _subset),
    "lr_search": ("every NumPy run of the lr search", lambda k, c: k.backend == grid.NUMPY),
    "frameworks": ("the framework check (section 5)", _frameworks),
    "all": ("every run", lambda k, c: pd.Series(True, index=k.index)),
}


def run_keys(rows) -> pd.DataFrame:
    """Run keys as a table (from a runs table, or from [backend, B, N', lr text, seed] lists)."""
    if isinstance(rows, pd.DataFrame):
        keys = rows[RUN_KEY].copy()
    else:
        keys = pd.DataFrame([list(r) for r in rows], columns=RUN_KEY)
    keys["batch_size"] = keys.batch_size.astype(int)
    keys["n_train"] = keys.n_train.astype(int)
    keys["seed"] = keys.seed.astype(int)
    keys["lr_path"] = keys.lr_path.astype(str)
    return keys.drop_duplicates().reset_index(drop=True)


def run_path(key) -> str:
    """The folder of a run (its wildcards)."""
    return str(Path(layout.run_file("x", key.backend, key.batch_size, key.n_train, key.lr_path, key.seed)).parent)


def _set(values) -> str:
    values = sorted(set(values))
    text = [fmt_int(v) for v in values]
    return text[0] if len(text) == 1 else "{" + ", ".join(text) + "}"


def describe(keys: pd.DataFrame) -> str:
    """Compact wildcards of a set of runs: 'NumPy B ∈ {1, 10}, N′ = 50,000 (14 runs)'."""
    if not len(keys):
        return "no runs"
    parts = []
    for backend, rows in keys.groupby("backend", sort=False):
        b, n = _set(rows.batch_size), _set(rows.n_train)
        parts.append(
            f"{grid.BACKEND_NAMES.get(backend, backend)} B {'∈' if '{' in b else '='} {b}, "
            f"N′ {'∈' if '{' in n else '='} {n}"
        )
    return f"{'; '.join(parts)} ({fmt_int(len(keys))} run{'s' if len(keys) != 1 else ''})"


def pending_text(present: int, expected: int) -> str:
    return f"pending ({fmt_int(present)} of {fmt_int(expected)} runs)"


@dataclass(frozen=True)
class Coverage:
    """The runs of one scope: expected, present, and the wildcards of both."""

    scope: str
    expected: pd.DataFrame
    present: pd.DataFrame

    @property
    def complete(self) -> bool:
        return len(self.present) >= len(self.expected)

    @property
    def pending(self) -> str:
        """'' when complete, else 'pending (k of m runs)'."""
        return "" if self.complete else pending_text(len(self.present), len(self.expected))

    @property
    def missing(self) -> pd.DataFrame:
        merged = self.expected.merge(self.present, how="left", on=RUN_KEY, indicator=True)
        return merged[merged._merge == "left_only"][RUN_KEY]


@dataclass(frozen=True)
class Step:
    rule: str
    script: str
    code: str  # digest of the script and the package modules it imports
    source: str  # the script's text


class Lineage:
    """The provenance of every figure and table of one report: its rules, their scripts at the
    report's commit, and the runs it read (``expected``: the runs the report should read; the
    final report has them all, a draft some)."""

    def __init__(self, config: dict, present, expected=None, commit: str = "", draft: bool = False, repo=None):
        self.config = config
        self.present = run_keys(present)
        self.expected = self.present if expected is None else run_keys(expected)
        self.commit = commit or "unknown"
        self.draft = draft
        self.repo = Path(repo) if repo else Path(__file__).resolve().parents[2]

    def coverage(self, scope: str) -> Coverage:
        select = SCOPES[scope][1]
        expected = self.expected[select(self.expected, self.config)]
        present = self.present[select(self.present, self.config)].merge(expected, on=RUN_KEY)
        return Coverage(scope, expected, present)

    def point_coverage(self, batch: int, n: int, backend: str = grid.NUMPY) -> Coverage:
        """The runs of one (backend, B, N') point."""

        def at(keys):
            return keys[(keys.backend == backend) & (keys.batch_size == int(batch)) & (keys.n_train == int(n))]

        expected = at(self.expected)
        return Coverage(f"{backend} {batch} {n}", expected, at(self.present).merge(expected, on=RUN_KEY))

    def missing(self) -> pd.DataFrame:
        return self.coverage("all").missing

    def steps(self, rules: tuple[str, ...]) -> list[Step]:
        if self.draft:  # the draft rule does the work of the final report's tail itself
            rules = tuple(dict.fromkeys(DRAFT_RULE if r in DRAFT_FOLDS else r for r in rules))
        return [self._step(rule) for rule in rules]

    def _step(self, rule: str) -> Step:
        """One rule's script, its code digest and source, worked out once per render (the
        import scan behind the digest is the slow part, and every figure asks again)."""
        cache = self.__dict__.setdefault("_steps", {})
        if rule not in cache:
            script = f"scripts/{rule}.py"
            path = self.repo / script
            files = code_deps.code_files(self.repo, script) if path.is_file() else []
            cache[rule] = Step(
                rule,
                script,
                code_deps.digest(self.repo, files) if files else "",
                path.read_text() if path.is_file() else "",
            )
        return cache[rule]

    def of(self, kind: str, key: str) -> dict:
        """The provenance of figure or table ``key`` (``kind``: "figure" or "table") for the
        templates: steps, the runs it read as wildcards, the scope's anchor, and the pending text
        of a draft that lacks some of them."""
        made = CATALOGUE[(kind, key)]
        out = {"steps": self.steps(made.rules), "commit": self.commit[:12], "runs": "", "scope": "", "pending": ""}
        if made.scope is not None:
            cov = self.coverage(made.scope)
            out |= {"runs": describe(cov.expected), "scope": made.scope, "pending": cov.pending}
        return out

    def listing(self) -> list[dict]:
        """Per scope that a figure or table read: its runs grouped by (backend, B, N'), each
        group's learning rates and seeds, and how many of its runs a draft lacks."""
        scopes = dict.fromkeys(m.scope for m in CATALOGUE.values() if m.scope)
        out = []
        for scope in scopes:
            cov = self.coverage(scope)
            missing = cov.missing
            groups = []
            for (backend, b, n), rows in cov.expected.groupby(["backend", "batch_size", "n_train"], sort=True):
                lost = missing[(missing.backend == backend) & (missing.batch_size == b) & (missing.n_train == n)]
                groups.append(
                    {
                        "folder": str(Path(layout.run_file("x", backend, b, n, "{lr}", "{seed}")).parent),
                        "lrs": join_words([_lr_text(x) for x in sorted(set(rows.lr_path), key=_lr_order)]),
                        "seeds": _set(rows.seed),
                        "runs": fmt_int(len(rows)),
                        "missing": [run_path(k) for k in lost.itertuples()],
                    }
                )
            out.append({"scope": scope, "title": SCOPES[scope][0], "runs": describe(cov.expected), "groups": groups})
        return out


def _lr_order(text: str) -> float:
    return math.inf if text == grid.CHOSEN else float(text)


def _lr_text(text: str) -> str:
    return text if text == grid.CHOSEN else fmt_lr(float(text))

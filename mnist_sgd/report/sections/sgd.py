"""Section 2, minibatch SGD (question 2): the model, the loss, the textbook update as the code
that runs it, and the checks every run passes (zero start, never below the floor)."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from mnist_sgd.report.claims import Claims
from mnist_sgd.report.formats import fmt_int
from mnist_sgd.report.queries import ReportInputs
from mnist_sgd.train import textbook

#: The repository root: listings name their files relative to it.
REPO = Path(__file__).resolve().parents[3]

#: The textbook algorithm the section prints: one update, one epoch.
TEXTBOOK_FUNCTIONS = (textbook.sgd_step, textbook.sgd_epoch)

#: The loss every run starts from: zero weights give scores 0, so 1/(2n) sum ||y_i||^2 = 1/2.
INITIAL_LOSS = 0.5


def listings(functions) -> list[dict]:
    """The real source of ``functions`` (a Numba kernel's Python source), highlighted, with file and lines."""
    formatter = HtmlFormatter(cssclass="code", linenos=False)
    out = []
    for compiled in functions:
        fn = getattr(compiled, "py_func", compiled)
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


def facts(inp: ReportInputs) -> dict:
    claims = Claims("sgd")
    e = inp.tables["epochs"]
    start = e[e.epoch == 0].train_loss.to_numpy(float)
    claims.check(
        "zero_start",
        "every run starts from loss 0.5 (zero weights)",
        len(start) and np.allclose(start, INITIAL_LOSS, rtol=1e-6, atol=0),
        runs=int(len(start)),
    )
    floors = inp.tables["floors"][["n_train", "seed", "floor_loss"]]
    merged = e.merge(floors, on=["n_train", "seed"], how="inner")
    finite = merged[np.isfinite(merged.train_loss)]
    claims.check(
        "above_floor",
        "no recorded training loss lies below its subset's least-squares floor",
        len(finite) and bool((finite.train_loss >= finite.floor_loss * (1 - 1e-9)).all()),
        losses=int(len(finite)),
    )
    return {
        "claims": claims,
        "textbook": listings(TEXTBOOK_FUNCTIONS),
        "runs": fmt_int(inp.runs.shape[0]),
        "losses": fmt_int(len(finite)),
        "divergence_factor": fmt_int(inp.config["training"]["divergence_factor"]),
        "bias": bool(inp.config["training"]["bias"]),
    }

"""Section 2, minibatch SGD (question 2): the model, the loss, the textbook update as the code
that runs it, and the checks every run passes (zero start, never below the floor)."""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import numpy as np
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

from mnist_sgd.report.claims import Claims, Margin
from mnist_sgd.report.formats import fmt_int, fmt_loss
from mnist_sgd.report.queries import ReportInputs
from mnist_sgd.train import textbook

#: The repository root: listings name their files relative to it.
REPO = Path(__file__).resolve().parents[3]

#: The textbook algorithm the section prints: one update, one epoch.
TEXTBOOK_FUNCTIONS = (textbook.sgd_step, textbook.sgd_epoch)

#: The loss every run starts from: zero weights give scores 0, so 1/(2n) sum ||y_i||^2 = 1/2.
INITIAL_LOSS = 0.5

#: How closely tests/test_compiled_kernel.py holds the compiled kernel to the textbook code: relative
#: difference of the weights, and epochs (in float64).
KERNEL_RTOL, KERNEL_EPOCHS = 1e-6, 100


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
        per_seed=True,
        runs=int(len(start)),
    )
    floors = inp.tables["floors"][["n_train", "seed", "floor_loss"]]
    merged = e.merge(floors, on=["n_train", "seed"], how="inner")
    finite = merged[np.isfinite(merged.train_loss)]
    claims.check(
        "above_floor",
        "no recorded training loss lies below its subset's least-squares floor",
        len(finite) and bool((finite.train_loss >= finite.floor_loss * (1 - 1e-9)).all()),
        margin=Margin(
            "smallest training loss over its floor",
            float((finite.train_loss / finite.floor_loss).min()) if len(finite) else math.nan,
            1,
            log=True,
        ),
        per_seed=True,
        losses=int(len(finite)),
    )
    return {
        "claims": claims,
        "textbook": listings(TEXTBOOK_FUNCTIONS),
        "runs": fmt_int(inp.runs.shape[0]),
        "losses": fmt_int(len(finite)),
        "divergence_factor": fmt_int(inp.config["training"]["divergence_factor"]),
        "bias": bool(inp.config["training"]["bias"]),
        "initial_loss": fmt_loss(INITIAL_LOSS).rstrip("0"),
        "kernel_rtol": Markup(f"10<sup>{math.log10(KERNEL_RTOL):.0f}</sup>".replace("-", "−")),
        "kernel_passes": fmt_int(KERNEL_EPOCHS),
    }

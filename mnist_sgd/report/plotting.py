"""The house style of the report's figures and the drawing helpers they share (Matplotlib)."""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever written to files
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, NullFormatter  # noqa: E402

from mnist_sgd import grid  # noqa: E402
from mnist_sgd.report.queries import ZERO_FLOOR, seed_band  # noqa: E402

STYLE = {
    "figure.figsize": (6.4, 2.7),
    "figure.dpi": 100,
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "lines.linewidth": 1.4,
    "svg.fonttype": "none",  # text as text (DejaVu Sans): searchable, and 3x faster for WeasyPrint than outlines
}
BACKEND_STYLE = {
    grid.NUMPY: {"color": "#1f4e8c", "linestyle": "-", "label": f"{grid.BACKEND_NAMES[grid.NUMPY]} (hand-coded)"},
    "tensorflow": {"color": "#e07b00", "linestyle": "--", "label": grid.BACKEND_NAMES["tensorflow"]},
    "pytorch": {"color": "#b8272c", "linestyle": ":", "label": grid.BACKEND_NAMES["pytorch"]},
    "keras_fit": {"color": "#6a3d9a", "linestyle": "-.", "label": grid.BACKEND_NAMES["keras_fit"] + " (own shuffling)"},
    "pytorch_loader": {
        "color": "#8c564b",
        "linestyle": (0, (5, 1, 1, 1, 1, 1)),
        "label": grid.BACKEND_NAMES["pytorch_loader"] + " (own shuffling)",
    },
}
TRAIN_COLOR, VAL_COLOR, TEST_COLOR, FLOOR_COLOR = "#1f4e8c", "#2a9d55", "#c0392b", "#555555"


def palette(n: int) -> list:
    cmap = plt.get_cmap("viridis")
    return [cmap(x) for x in np.linspace(0.05, 0.85, max(n, 1))]


def curve(ax, rows: pd.DataFrame, x: str, y: str, **style) -> None:
    """A mean curve with a min-max band when there are several seeds."""
    band = seed_band(rows, x, y)
    band = band[np.isfinite(band["mean"])]
    (line,) = ax.plot(band[x], band["mean"], **style)
    if rows.seed.nunique() > 1:
        ax.fill_between(band[x], band["min"], band["max"], color=line.get_color(), alpha=0.18, linewidth=0)


def floor_line(ax, floor: float | None, label: str = "least-squares floor $L^*$", **style) -> str | None:
    """Draw L* as a horizontal line; a zero floor cannot be drawn on a log axis, so it is named only."""
    if floor is None or not math.isfinite(floor):
        return None
    if floor < ZERO_FLOOR:
        return f"{label} = 0 (N' ≤ rank: interpolation)"
    ax.axhline(
        floor,
        color=style.pop("color", FLOOR_COLOR),
        linestyle=style.pop("linestyle", "-."),
        linewidth=1.0,
        label=f"{label} = {floor:.4f}",
        **style,
    )
    return None


def log_ticks(ax, axis: str = "y") -> None:
    """Plain-number labels on a log axis ("0.2", not "2x10^-1"); minor ticks are labelled too
    when the axis spans little more than a decade (otherwise it would have no label at all)."""
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target = ax.yaxis if axis == "y" else ax.xaxis
    plain = FuncFormatter(lambda v, _: f"{v:.3g}")
    # minor ticks sit at 2..9 x 10^k: label 2 and 5 only, so labels never collide
    some = FuncFormatter(lambda v, _: f"{v:.3g}" if f"{v:.1e}"[0] in "25" else "")
    target.set_major_formatter(plain)
    if lo > 0 and hi / lo < 30:
        target.set_minor_formatter(plain if hi / lo < 4 else some)
    else:
        target.set_minor_formatter(NullFormatter())


def say(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=8.5, wrap=True, color="#444444")
    ax.set_axis_off()


def svg_text(fig: Figure, name: str) -> str:
    """The figure as SVG text; element ids are salted with ``name`` so that several figures can be
    inlined in one HTML page without id clashes, and no date is written (reproducible bytes)."""
    buffer = io.StringIO()
    with plt.rc_context({"svg.hashsalt": f"fig-{name}"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def zoom(ax, values, pad: float = 0.12, axis: str = "y") -> None:
    """Limit an axis to the range of ``values`` (finite ones) plus ``pad`` of that range on each side,
    so that small differences (a train/test gap, accuracies of neighbouring lrs) are visible."""
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x)], float)
    if not len(v):
        return
    lo, hi = float(v.min()), float(v.max())
    span = max(hi - lo, 0.002)
    limits = (lo - pad * span, hi + pad * span)
    (ax.set_ylim if axis == "y" else ax.set_xlim)(*limits)


def gap_rows(rows: pd.DataFrame, floor: float | None, column: str = "train_loss") -> pd.DataFrame:
    """``rows`` with a column ``gap`` = loss − L* (L* = 0 where unknown); non-positive gaps are NaN
    (not drawable on a log axis)."""
    out = rows.copy()
    f = floor if floor is not None and math.isfinite(floor) and floor >= ZERO_FLOOR else 0.0
    out["gap"] = out[column] - f
    out.loc[out["gap"] <= 0, "gap"] = np.nan
    return out

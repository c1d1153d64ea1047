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
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from mnist_sgd import grid  # noqa: E402
from mnist_sgd.report.formats import fmt_lr  # noqa: E402
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
#: Okabe and Ito's colour-blind-safe palette (black last), one colour per B or N'.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)), (0, (3, 1, 1, 1, 1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
BACKEND_STYLE = {
    grid.NUMPY: {"color": "#0072B2", "linestyle": "-", "label": f"{grid.BACKEND_NAMES[grid.NUMPY]} (hand-coded)"},
    "tensorflow": {"color": "#E69F00", "linestyle": "--", "label": grid.BACKEND_NAMES["tensorflow"]},
    "pytorch": {"color": "#D55E00", "linestyle": ":", "label": grid.BACKEND_NAMES["pytorch"]},
    "keras_fit": {"color": "#CC79A7", "linestyle": "-.", "label": grid.BACKEND_NAMES["keras_fit"] + " (own shuffling)"},
    "pytorch_loader": {
        "color": "#009E73",
        "linestyle": (0, (5, 1, 1, 1, 1, 1)),
        "label": grid.BACKEND_NAMES["pytorch_loader"] + " (own shuffling)",
    },
}
TRAIN_COLOR, TEST_COLOR = "#0072B2", "#D55E00"


def series_style(i: int) -> dict:
    """Colour, line style and marker of the i-th series (a B, an N'): distinct in all three."""
    return {
        "color": OKABE_ITO[i % len(OKABE_ITO)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def styles(keys) -> dict:
    """{key: :func:`series_style`} in the order of ``keys``."""
    return {k: series_style(i) for i, k in enumerate(keys)}


def curve(ax, rows: pd.DataFrame, x: str, y: str, **style) -> None:
    """A mean curve with a min-max band when there are several seeds."""
    band = seed_band(rows, x, y)
    band = band[np.isfinite(band["mean"])]
    (line,) = ax.plot(band[x], band["mean"], **style)
    if rows.seed.nunique() > 1:
        ax.fill_between(band[x], band["min"], band["max"], color=line.get_color(), alpha=0.18, linewidth=0)


def tick_label(v: float) -> str:
    """A tick value in full: 1e-05, 3e-05, 0.001, 0.3, 5, 1,000, 50,000 (never 10^3 or 3x10^-5)."""
    if v == 0:
        return "0"
    if abs(v) >= 1000:
        return f"{v:,.0f}" if abs(v) < 1e7 else f"{v:.0e}"
    return f"{v:.3g}"  # as the text writes learning rates: 3e-05, 0.0003, 0.001


def sci(x: float) -> str:
    """A learning rate or lr/B as the report's text and tables write it (:func:`fmt_lr`): 3e-05, 0.0003."""
    return fmt_lr(x)


#: Mantissas of the ticks of a log axis, from sparse to dense: the first that gives 3 to 8 ticks is used.
_TICK_MANTISSAS = (
    [1.0],
    [1.0, 3.0],
    [1.0, 2.0, 5.0],
    [1.0, 1.5, 2.0, 3.0, 5.0, 7.0],
    [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0],
)


def log_ticks_between(lo: float, hi: float, least: int = 3, most: int = 8, thirds: bool = False) -> list[float]:
    """Ticks for a log axis from ``lo`` to ``hi`` (> 0): decades if there are enough and they reach
    near both ends (within a factor 3), else 1-3-10, 1-2-5 or denser, so that every log axis has
    at least ``least`` labelled ticks and no long unlabelled stretch at an end. ``thirds``: 1-3-10
    at least (the steps of the lr grid), as long as that gives at most 12 ticks."""
    if not (lo > 0 and hi > lo and math.isfinite(hi)):
        return []
    start = 1 if thirds and math.log10(hi / lo) <= 6 else 0
    most = max(most, 12) if start else most
    fallback = None
    for mantissas in _TICK_MANTISSAS[start:]:
        ticks = [
            float(f"{m * 10.0**e:.6g}")
            for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
            for m in mantissas
        ]
        ticks = [t for t in ticks if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if len(ticks) < least:
            continue
        if len(ticks) > most:  # only the decades' set can overshoot: keep every other decade
            ticks = ticks[:: math.ceil(len(ticks) / most)]
        fallback = fallback or ticks
        if ticks[0] <= 3 * lo and ticks[-1] >= hi / 3:
            return ticks
        if len(ticks) > most // 2:  # denser would crowd the axis
            break
    return fallback or []


def log_axis(ax, axis: str = "y", thirds: bool = False) -> None:
    """Label a log axis in full (see :func:`tick_label`) with at least three ticks (``thirds``: see
    :func:`log_ticks_between`). Call once the axis' limits are final (after plotting and zooming)."""
    lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
    target = ax.yaxis if axis == "y" else ax.xaxis
    ticks = log_ticks_between(lo, hi, thirds=thirds)
    if ticks:
        target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: tick_label(v)))
    target.set_minor_locator(LogLocator(subs=np.arange(2, 10)))
    target.set_minor_formatter(NullFormatter())
    if len(ticks) > 8:  # many labels side by side: a size smaller, so that they do not touch
        ax.tick_params(axis=axis, which="major", labelsize=6.5)


def value_axis(ax, values, axis: str = "x") -> None:
    """Tick a log axis at the values the grid has (the B or N′ of the config), labelled in full;
    with fewer than three of them, the ticks of :func:`log_axis` are added."""
    ticks = sorted({float(v) for v in values if np.isfinite(v) and v > 0})
    if len(ticks) < 3:
        lo, hi = ax.get_ylim() if axis == "y" else ax.get_xlim()
        ticks = sorted(set(ticks) | set(log_ticks_between(lo, hi)))
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(FixedLocator(ticks))
    target.set_major_formatter(FuncFormatter(lambda v, _: tick_label(v)))
    target.set_minor_formatter(NullFormatter())
    if any(b / a < 3 for a, b in zip(ticks, ticks[1:])):  # close values: smaller labels, so they do not touch
        ax.tick_params(axis=axis, which="major", labelsize=6.5)


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


def plateau_range(
    values, window: float, higher_is_better: bool = True, pad: float = 0.12
) -> tuple[float, float] | None:
    """Axis limits that show the plateau of ``values``: those within ``window`` of the best one
    (an accuracy within ``window`` below the highest, a loss within ``window`` above the lowest),
    plus ``pad`` of their range on each side. A value far off (a too small or too large lr) does
    not stretch the axis; it lies outside the limits (see :func:`mark_off_axis`)."""
    v = np.asarray([x for x in np.ravel(values) if np.isfinite(x)], float)
    if not len(v):
        return None
    best = v.max() if higher_is_better else v.min()
    kept = v[v >= best - window] if higher_is_better else v[v <= best + window]
    lo, hi = float(kept.min()), float(kept.max())
    span = max(hi - lo, 0.002)
    return lo - pad * span, hi + pad * span


def mark_off_axis(ax, xs, ys, color, fmt=lambda y: f"{y:.3f}" if abs(y) < 10 else f"{y:,.0f}", level: int = 0) -> int:
    """Points of (xs, ys) outside the y limits: a triangle on the axis' edge pointing their way,
    with their value written ``level`` lines away from the edge (one level per series, so that
    the values of several series at one x do not overlap). Returns how many there were."""
    lo, hi = ax.get_ylim()
    count = 0
    for x, y in zip(xs, ys):
        if not np.isfinite(y) or lo <= y <= hi:
            continue
        below = y < lo
        edge = lo + 0.03 * (hi - lo) if below else hi - 0.03 * (hi - lo)
        ax.plot([x], [edge], marker="v" if below else "^", color=color, markersize=5, linestyle="none", clip_on=False)
        shift = 5 + 7 * level
        ax.annotate(
            fmt(y),
            (x, edge),
            xytext=(0, shift if below else -shift),
            textcoords="offset points",
            ha="center",
            va="bottom" if below else "top",
            fontsize=6,
            color=color,
            bbox={"boxstyle": "square,pad=0.05", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
        count += 1
    return count


def gap_rows(rows: pd.DataFrame, floor: float | None, column: str = "train_loss") -> pd.DataFrame:
    """``rows`` with a column ``gap`` = loss − L* (L* = 0 where unknown); non-positive gaps are NaN
    (not drawable on a log axis)."""
    out = rows.copy()
    f = floor if floor is not None and math.isfinite(floor) and floor >= ZERO_FLOOR else 0.0
    out["gap"] = out[column] - f
    out.loc[out["gap"] <= 0, "gap"] = np.nan
    return out

"""The report's number formats: every number in its tables and text goes through one of these.

Accuracies are percentages with two decimals, differences of accuracies percentage points,
losses four significant digits, times three; the space before a unit does not break.
"""

from __future__ import annotations

import math


def fmt_acc(x: float) -> str:
    """An accuracy (fraction) as a percentage with two decimals: 0.84866 -> '84.87 %' (no-break space)."""
    return "–" if x is None or not math.isfinite(x) else f"{100 * x:.2f}\u00a0%"


def fmt_pp(x: float) -> str:
    """A difference of accuracies (fraction) in percentage points: 0.0123 -> '1.23 pp'."""
    return f"{100 * abs(x):.2f}\u00a0pp"


def fmt_lr(x: float | None) -> str:
    """A learning rate as in the config: 0.003 -> '0.003'."""
    return "–" if x is None or not math.isfinite(x) else f"{x:g}"


def fmt_loss(x: float) -> str:
    """A loss value with four significant digits: 0.2038265 -> '0.2038'."""
    if x is None or not math.isfinite(x):
        return "–"
    if x != 0 and abs(x) < 1e-12:
        return "0"  # a least-squares floor that is zero up to rounding
    return f"{x:.4g}"


def fmt_seconds(x: float) -> str:
    """Seconds with three significant digits: 2.1856 -> '2.19 s'."""
    return "–" if x is None or not math.isfinite(x) else f"{x:.3g}\u00a0s"


def fmt_duration(x: float) -> str:
    """A short duration in the unit that suits it: 8.74e-06 -> '8.74 µs', 0.00374 -> '3.74 ms'."""
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}\u00a0{unit}"
    return f"{x / 1e-9:.3g}\u00a0ns"


def fmt_factor(x: float) -> str:
    return f"{x:.1f}×" if x < 100 else f"{x:.0f}×"


def join_words(items: list) -> str:
    """[a] -> "a", [a, b, c] -> "a, b and c"."""
    items = [str(i) for i in items]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]

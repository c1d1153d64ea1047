"""The report's number formats: every number in its tables and text goes through one of these.

One format per quantity: accuracies are percentages with two decimals, differences of
accuracies percentage points, learning rates as written in the config (0.003, 3e-05), losses
four significant digits (a table column of losses one number of decimals), times three
significant digits, counts with thousands separators. The space before a unit does not break.
"""

from __future__ import annotations

import math

from mnist_sgd.stats import accuracy_interval, seed_spread

NBSP = "\u00a0"


def _missing(x) -> bool:
    return x is None or not math.isfinite(x)


def fmt_acc(x: float) -> str:
    """An accuracy (fraction) as a percentage with two decimals: 0.84866 -> '84.87 %'."""
    return "–" if _missing(x) else f"{100 * x:.2f}{NBSP}%"


def fmt_pp(x: float) -> str:
    """A difference of accuracies (fraction) in signed percentage points: 0.0123 -> '+1.23 pp'."""
    return "–" if _missing(x) else f"{100 * x:+.2f}{NBSP}pp".replace("-", "−")


def fmt_lr(x: float | None) -> str:
    """A learning rate (or lr/B) as in the config: 0.003 -> '0.003', 3e-05 -> '3e-05'."""
    return "–" if _missing(x) else f"{x:g}"


def fmt_loss(x: float) -> str:
    """A loss with four significant digits, trailing zeros kept: 0.2038265 -> '0.2038'."""
    if _missing(x):
        return "–"
    if x != 0 and abs(x) < 1e-12:
        return "0"  # a least-squares floor that is zero up to rounding
    if abs(x) >= 1e4:
        return fmt_int(x)
    return f"{x:#.4g}" if abs(x) >= 1e-4 else f"{x:.3e}"


def fmt_seconds(x: float) -> str:
    """Seconds with three significant digits: 2.1856 -> '2.19 s', 60412 -> '60,400 s'."""
    if _missing(x):
        return "–"
    if abs(x) < 999.5:
        return f"{x:.3g}{NBSP}s"
    return f"{round(x, 2 - math.floor(math.log10(abs(x)))):,.0f}{NBSP}s"


def fmt_duration(x: float) -> str:
    """A short duration in the unit that suits it: 8.74e-06 -> '8.74 µs', 0.00374 -> '3.74 ms'."""
    if _missing(x):
        return "–"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if abs(x) >= scale:
            return f"{x / scale:.3g}{NBSP}{unit}"
    return f"{x / 1e-9:.3g}{NBSP}ns"


def fmt_int(x: float) -> str:
    """A count with thousands separators: 5000000 -> '5,000,000'."""
    return "–" if _missing(x) else f"{round(x):,}"


def fmt_ratio(x: float) -> str:
    """A ratio or other measured quantity, three significant digits: 83.3333 -> '83.3', 1308.05 -> '1,308'."""
    if _missing(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def fmt_ci(low: float, high: float) -> str:
    """A 95 % interval of an accuracy (fractions) in percent: '85.09–86.45 %'."""
    if _missing(low) or _missing(high):
        return "–"
    return f"{100 * low:.2f}–{100 * high:.2f}{NBSP}%"


def fmt_pp_ci(low: float, high: float) -> str:
    """A 95 % interval of a difference of accuracies in percentage points: '−0.21 to +0.35 pp'."""
    if _missing(low) or _missing(high):
        return "–"
    return f"{fmt_pp(low).removesuffix(NBSP + 'pp')} to {fmt_pp(high)}"


def fmt_p(p: float) -> str:
    """A p-value with two significant digits, small ones as a bound: 'p = 0.38', 'p < 0.001'."""
    if _missing(p):
        return f"p{NBSP}={NBSP}–"
    if p < 0.001:
        return f"p{NBSP}<{NBSP}0.001"
    return f"p{NBSP}={NBSP}{p:.2g}" if p < 0.995 else f"p{NBSP}={NBSP}1"


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def count_words(n: int, noun: str, plural: str | None = None) -> str:
    """'one run', 'two runs', '12 runs': small counts as words, the noun in the right number."""
    word = NUMBER_WORDS.get(n, fmt_int(n))
    return f"{word} {noun if n == 1 else (plural or noun + 's')}"


def join_words(items: list) -> str:
    """[a] -> "a", [a, b, c] -> "a, b and c"."""
    items = [str(i) for i in items]
    if not items:
        return ""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def acc_cell(accuracy: float, images: int, per_seed=None, interval: bool = True) -> dict:
    """An accuracy for a table cell: its value and, with two or more seeds, the range over the
    seeds; with one seed its 95 % Wilson interval over ``images`` (none when ``interval`` is
    false, e.g. for a training accuracy that is not a sample estimate)."""
    spread = seed_spread(per_seed if per_seed is not None else [])
    if spread["n"] > 1:  # the seeds' range says more than one seed's interval; the caption gives its width
        return {"value": fmt_acc(accuracy), "ci": "", "seeds": fmt_ci(spread["min"], spread["max"])}
    low, high = accuracy_interval(accuracy, images) if images and interval else (math.nan, math.nan)
    return {"value": fmt_acc(accuracy), "ci": fmt_ci(low, high) if interval else "", "seeds": ""}


def wilson_halfwidth(accuracy: float, images: int) -> float:
    """Half the width of the 95 % Wilson interval of ``accuracy`` on ``images`` images (a fraction)."""
    low, high = accuracy_interval(accuracy, images)
    return (high - low) / 2


def interval_halfwidth(accuracies, images: int) -> str:
    """The largest half-width of the 95 % Wilson interval of ``accuracies`` on ``images``
    images, in percentage points ("0.92 pp"): what one seed's accuracy is uncertain by."""
    widths = [wilson_halfwidth(a, images) for a in accuracies if not _missing(a)]
    return f"±{100 * max(widths):.2f}{NBSP}pp" if widths else "–"


def loss_column(rows: list[dict], key: str, significant: int = 4) -> None:
    """Format the losses ``row[key]`` of a table column with one number of decimals: enough for
    ``significant`` digits of its smallest non-zero value (a zero floor prints as 0)."""
    values = [r[key] for r in rows]
    finite = [abs(v) for v in values if not _missing(v) and abs(v) >= 1e-12]
    decimals = 0 if not finite else max(0, min(8, significant - 1 - math.floor(math.log10(min(finite)))))
    for r, v in zip(rows, values):
        if _missing(v):
            r[key] = "–"
        elif abs(v) < 1e-12:
            r[key] = "0"
        elif abs(v) >= 1e4:
            r[key] = fmt_int(v)
        else:
            r[key] = f"{v:.{decimals}f}"


def differs_in_print(a: float, b: float, fmt=fmt_acc) -> bool:
    """Whether ``a`` and ``b`` print differently in ``fmt``, the format the report shows them in.

    A comparison the reader sees as two equal numbers ("84.87 % against 84.87 %") must not be
    stated as a difference: a claim that says one is above, below or different from the other
    checks this as well as the comparison itself.
    """
    return fmt(a) != fmt(b)

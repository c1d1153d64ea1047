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
    """A loss value with four significant digits, trailing zeros kept: 0.2038265 -> '0.2038', 0.206 -> '0.2060'."""
    if x is None or not math.isfinite(x):
        return "–"
    if x != 0 and abs(x) < 1e-12:
        return "0"  # a least-squares floor that is zero up to rounding
    return f"{x:#.4g}" if abs(x) >= 1e-4 else f"{x:.3e}"


def fmt_seconds(x: float) -> str:
    """Seconds with three significant digits: 2.1856 -> '2.19 s', 60412 -> '60,400 s' (not '6.04e+04 s')."""
    if x is None or not math.isfinite(x):
        return "–"
    if abs(x) < 999.5:
        return f"{x:.3g}\u00a0s"
    return f"{round(x, 2 - math.floor(math.log10(abs(x)))):,.0f}\u00a0s"


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


def fmt_int(x: float) -> str:
    """A count with thousands separators: 5000000 -> '5,000,000' (the one style for every integer)."""
    return "–" if x is None or not math.isfinite(x) else f"{round(x):,}"


def fmt_ratio(x: float) -> str:
    """A ratio of two measured or configured numbers, three significant digits: 83.3333 -> '83.3'."""
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def fmt_ci(low: float, high: float) -> str:
    """A 95 % interval of an accuracy (fractions) in percent: '85.09–86.45 %'."""
    if low is None or not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{100 * low:.2f}–{100 * high:.2f}\u00a0%"


def fmt_p(p: float) -> str:
    """A p-value with two significant digits, small ones as a bound: 'p = 0.38', 'p < 0.001'."""
    if p is None or not math.isfinite(p):
        return "p = –"
    if p < 0.001:
        return "p\u00a0<\u00a00.001"
    return f"p\u00a0=\u00a0{p:.2g}" if p < 0.995 else "p\u00a0=\u00a01"


def column_decimals(values, significant: int = 3, most: int = 6) -> int:
    """Decimals that give the smallest non-zero finite |value| of a column ``significant`` digits,
    so that one column of a table is printed with one precision."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v) and v != 0]
    if not finite:
        return 0
    return max(0, min(most, significant - 1 - math.floor(math.log10(min(finite)))))


def fmt_fixed(x: float, decimals: int) -> str:
    """A number with a given number of decimals ('–' when missing)."""
    return "–" if x is None or not math.isfinite(x) else f"{x:.{decimals}f}"


NUMBER_WORDS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine"}


def count_words(n: int, noun: str, plural: str | None = None) -> str:
    """'one run', 'two runs', '12 runs': small counts as words, the noun in the right number."""
    word = NUMBER_WORDS.get(n, fmt_int(n))
    return f"{word} {noun if n == 1 else (plural or noun + 's')}"


def capitalise(sentence: str) -> str:
    """The sentence with an upper-case first letter ('lr = ...' never starts a sentence)."""
    return sentence[:1].upper() + sentence[1:]

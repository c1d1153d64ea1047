"""The statistics behind every comparison in the report: intervals for accuracies and a paired test.

- :func:`wilson_interval`: the 95 % Wilson score interval of an accuracy k/n over n evaluated
  images (good coverage near 0 and 1, unlike the normal approximation).
- :func:`mcnemar_test`: McNemar's test of two classifiers scored on the *same* images, from the
  discordant pairs only (images one got right and the other wrong): the exact two-sided binomial
  p-value and its mid-p variant (Fagerland, Lydersen and Laake, BMC Med Res Methodol 2013).
- :func:`newcombe_paired_interval`: the 95 % interval of the difference of two accuracies on the
  same images (Newcombe 1998, method 10: from the two Wilson intervals and the correlation of
  the paired outcomes), valid at 0 % and 100 % where the normal approximation collapses.
- :func:`seed_spread`: mean, min and max of a metric over seeds.
- :func:`verdict`: the one rule the report's comments follow to call two results different.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: Two-sided 95 % normal quantile.
Z95 = 1.959963984540054
#: Significance level at which the report calls two results different.
ALPHA = 0.05


def wilson_interval(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % (for the default ``z``) Wilson score interval of the proportion ``correct / n``.

    Args:
        correct: number of correctly classified images, 0 <= correct <= n.
        n: number of evaluated images, > 0.

    Returns:
        (low, high) as fractions in [0, 1].
    """
    if n <= 0:
        raise ValueError(f"wilson_interval needs n > 0 evaluated images, got n = {n}")
    if not 0 <= correct <= n:
        raise ValueError(f"wilson_interval needs 0 <= correct <= n, got correct = {correct}, n = {n}")
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


def accuracy_interval(accuracy: float, n: int, z: float = Z95) -> tuple[float, float]:
    """:func:`wilson_interval` of an accuracy given as a fraction of ``n`` images (rounded to a count)."""
    if not math.isfinite(accuracy):
        return math.nan, math.nan
    return wilson_interval(int(round(accuracy * n)), n, z)


def _binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), exactly (log-space sum, stable for n up to 10^5)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    from scipy.special import gammaln  # here: importing it costs the figures and the report 0.4 s

    i = np.arange(k + 1, dtype=float)
    log_pmf = math.lgamma(n + 1) - (gammaln(i + 1) + gammaln(n - i + 1)) - n * math.log(2)
    top = log_pmf.max()
    return float(min(1.0, math.exp(top) * np.exp(log_pmf - top).sum()))


def _binom_pmf_half(k: int, n: int) -> float:
    return math.exp(math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2))


@dataclass(frozen=True)
class McNemar:
    """McNemar's test on the discordant pairs: ``only_a`` images right by A only, ``only_b`` by B only."""

    only_a: int
    only_b: int
    p_exact: float  # two-sided exact binomial p-value
    p_mid: float  # two-sided mid-p value (exact minus the probability of the observed count)

    @property
    def discordant(self) -> int:
        return self.only_a + self.only_b


def mcnemar_test(only_a: int, only_b: int) -> McNemar:
    """McNemar's exact test of equal accuracy for two classifiers scored on the same images.

    Under the null hypothesis (equal accuracy), given d = only_a + only_b discordant images,
    only_a ~ Binomial(d, 1/2). The exact two-sided p-value is 2 P(X <= min) (capped at 1);
    the mid-p value subtracts the probability of the observed count once: 2 P(X <= min) - P(X = min).

    Args:
        only_a: images classifier A got right and B wrong (>= 0).
        only_b: images B got right and A wrong (>= 0).
    """
    if only_a < 0 or only_b < 0:
        raise ValueError(f"mcnemar_test needs counts >= 0, got {only_a} and {only_b}")
    d, k = only_a + only_b, min(only_a, only_b)
    if d == 0:
        return McNemar(only_a, only_b, 1.0, 1.0)
    cdf = _binom_cdf_half(k, d)
    p_exact = min(1.0, 2 * cdf)
    p_mid = min(1.0, 2 * cdf - _binom_pmf_half(k, d))
    return McNemar(only_a, only_b, p_exact, p_mid)


def paired_counts(correct_a: np.ndarray, correct_b: np.ndarray) -> dict[str, int]:
    """The 2x2 table of two classifiers on the same images: boolean arrays (n,) -> counts."""
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    if a.shape != b.shape:
        raise ValueError(f"paired_counts needs predictions on the same images, got shapes {a.shape} and {b.shape}")
    return {
        "both": int(np.sum(a & b)),
        "only_a": int(np.sum(a & ~b)),
        "only_b": int(np.sum(~a & b)),
        "neither": int(np.sum(~a & ~b)),
    }


def newcombe_paired_interval(both: int, only_a: int, only_b: int, neither: int, z: float = Z95) -> tuple[float, float]:
    """95 % interval of accuracy(A) - accuracy(B) (fractions) for two classifiers scored on the same
    n = both + only_a + only_b + neither images (Newcombe 1998, method 10)."""
    n = both + only_a + only_b + neither
    if n <= 0:
        raise ValueError("newcombe_paired_interval needs at least one image")
    p1, p2 = (both + only_a) / n, (both + only_b) / n
    l1, u1 = wilson_interval(both + only_a, n, z)
    l2, u2 = wilson_interval(both + only_b, n, z)
    margins = (both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    phi = (both * neither - only_a * only_b) / math.sqrt(margins) if margins > 0 else 0.0
    d = p1 - p2
    low = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return d - low, d + high


def seed_spread(values) -> dict[str, float]:
    """Mean, min, max and count of a metric over seeds (non-finite values ignored)."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], float)
    if not len(v):
        return {"mean": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    return {"mean": float(v.mean()), "min": float(v.min()), "max": float(v.max()), "n": int(len(v))}


def verdict(p_value: float, alpha: float = ALPHA) -> str:
    """ "different" when the paired test rejects equal accuracy at ``alpha``, else "indistinguishable"."""
    return "different" if math.isfinite(p_value) and p_value < alpha else "indistinguishable"

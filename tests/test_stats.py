"""The report's statistics against known values: scipy.stats and textbook examples."""

import math

import numpy as np
import pytest
from scipy import stats as sps

from mnist_sgd.stats import (
    accuracy_interval,
    mcnemar_test,
    paired_counts,
    seed_spread,
    verdict,
    wilson_interval,
)


@pytest.mark.parametrize("k, n", [(0, 10), (1, 10), (5, 10), (10, 10), (8600, 10000), (9990, 10000), (57, 100)])
def test_wilson_interval_matches_scipy(k, n):
    expected = sps.binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(k, n)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_wilson_interval_textbook_example():
    # Newcombe (1998), Stat Med 17:857, Table I: 81/263 -> 0.2553 to 0.3662 (score method)
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_wilson_interval_of_an_accuracy_on_the_test_set_is_about_0_7_pp_wide():
    low, high = accuracy_interval(0.86, 10000)
    assert 0.853 < low < 0.86 < high < 0.867
    assert (high - low) / 2 == pytest.approx(1.96 * math.sqrt(0.86 * 0.14 / 10000), rel=0.01)
    assert all(math.isnan(x) for x in accuracy_interval(math.nan, 10000))


def test_wilson_interval_rejects_impossible_counts():
    with pytest.raises(ValueError, match="n > 0"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="correct <= n"):
        wilson_interval(11, 10)


@pytest.mark.parametrize("b, c", [(0, 0), (0, 5), (3, 9), (10, 10), (40, 60), (151, 120), (1200, 1300)])
def test_mcnemar_exact_matches_the_binomial_test(b, c):
    result = mcnemar_test(b, c)
    expected = 1.0 if b + c == 0 else sps.binomtest(b, b + c, 0.5).pvalue
    assert result.p_exact == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert result.discordant == b + c


@pytest.mark.parametrize("b, c", [(3, 9), (40, 60), (151, 120), (10, 10)])
def test_mcnemar_mid_p_is_exact_minus_the_observed_probability(b, c):
    d, k = b + c, min(b, c)
    mid = min(1.0, 2 * sps.binom.cdf(k, d, 0.5) - sps.binom.pmf(k, d, 0.5))
    result = mcnemar_test(b, c)
    assert result.p_mid == pytest.approx(mid, rel=1e-9)
    assert result.p_mid <= result.p_exact


def test_mcnemar_textbook_example():
    # Fagerland, Lydersen and Laake (2013), BMC Med Res Methodol 13:91, Table 1 (airway
    # hyper-responsiveness before/after stem cell transplantation): discordant pairs 1 and 7;
    # exact p = 0.070, mid-p = 0.039.
    result = mcnemar_test(1, 7)
    assert round(result.p_exact, 3) == 0.070
    assert round(result.p_mid, 3) == 0.039


def test_mcnemar_is_symmetric_and_rejects_negative_counts():
    ab, ba = mcnemar_test(12, 30), mcnemar_test(30, 12)
    assert (ab.p_exact, ab.p_mid) == (ba.p_exact, ba.p_mid)
    with pytest.raises(ValueError, match=">= 0"):
        mcnemar_test(-1, 3)


def test_paired_counts_and_verdict_on_two_classifiers():
    a = np.array([1, 1, 0, 0, 1, 1], bool)
    b = np.array([1, 0, 1, 0, 0, 0], bool)
    assert paired_counts(a, b) == {"both": 1, "only_a": 3, "only_b": 1, "neither": 1}
    with pytest.raises(ValueError, match="same images"):
        paired_counts(a, b[:3])
    # 0.54 pp apart on 10,000 images: different only when few images are discordant
    assert verdict(mcnemar_test(177, 123).p_exact) == "different"
    assert verdict(mcnemar_test(527, 473).p_exact) == "indistinguishable"
    assert verdict(mcnemar_test(160, 140).p_exact) == "indistinguishable"
    assert verdict(math.nan) == "indistinguishable"


def test_seed_spread_ignores_non_finite_values():
    assert seed_spread([0.8, 0.9, math.nan]) == {"mean": pytest.approx(0.85), "min": 0.8, "max": 0.9, "n": 2}
    assert seed_spread([])["n"] == 0

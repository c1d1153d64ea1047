"""Each section's facts and the truth of its claims: on the tables of a real default build
(tests/data/default_build), and on copies of them changed so that a claim fails, where the
report must print the written alternative instead. No test pins a sentence."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import default_build
import numpy as np
import pytest

from mnist_sgd.report import render
from mnist_sgd.report.catalog import figure_names
from mnist_sgd.report.claims import Claims, Margin
from mnist_sgd.report.sections import TITLES, batch_size, training_set_size

TEMPLATES = Path(__file__).resolve().parents[1] / "report" / "templates" / "sections"


@pytest.fixture(scope="module")
def default():
    return default_build.inputs()


def changed(inp, **tables):
    """A copy of ``inp`` whose tables are deep copies (to change one without touching the fixture)."""
    out = copy.copy(inp)
    out.tables = {k: v.copy() for k, v in inp.tables.items()}
    out.tests = None if inp.tests is None else inp.tests.copy()
    return out


def rendered(inp) -> dict:
    """Render the HTML of ``inp`` (placeholder figures) and return the section facts with their claims."""
    figures = {name: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' for name in figure_names(inp.config)}
    context = render.build_context(inp, figures)
    html = render.render_html(context)
    assert "<section" in html
    return context["facts"]


def statuses(facts: dict) -> dict[str, str]:
    return {f"{c.section}.{c.id}": f["claims"].status(c.id) for f in facts.values() for c in f["claims"]}


# ---- the default build -------------------------------------------------------------------


def test_every_claim_the_default_report_prints_holds(default):
    status = statuses(rendered(default))
    assert "dropped" not in status.values(), [k for k, v in status.items() if v == "dropped"]
    for key in (
        "batch_size.shared_step",
        "batch_size.curves_coincide",
        "batch_size.models_agree",
        "batch_size.single_example_bound",
        "batch_size.full_batch_bound",
        "batch_size.noise_floor",
        "batch_size.still_falling",
        "batch_size.slow_directions",
        "batch_size.early_stopping",
        "batch_size.no_accuracy_difference",
        "training_set_size.plateau",
        "training_set_size.worst_at_threshold",
        "training_set_size.full_batch_bound",
        "frameworks.exact_all_pass",
        "frameworks.idiomatic_same",
    ):
        assert status[key] == "holds", key


def test_batch_size_facts_of_the_default_build(default):
    s = batch_size.facts(default)
    runs = default.runs
    chosen = runs[(runs.backend == "numpy") & (runs.n_train == 50000) & runs.chosen]
    steps = (chosen.lr / chosen.batch_size).round(12).unique()
    assert len(steps) == 1 and s["step"] == f"{steps[0]:g}"
    # the per-example bound 2/mean||x||^2 separates B = 1's largest stable and smallest diverged lr
    b1 = runs[(runs.backend == "numpy") & (runs.batch_size == 1) & (runs.n_train == 50000)]
    largest, smallest = b1[~b1.diverged].lr.max(), b1[b1.diverged].lr.min()
    floors = default.tables["floors"]
    bound = 2 / float(floors[floors.n_train == 50000].mean_sq_norm.iloc[0])
    assert largest < bound < smallest
    assert s["stable_first"] == {"largest": f"{largest:g}", "smallest_diverged": f"{smallest:g}"}
    # the pair of batch sizes whose models disagree on the fewest test images is B = 1 and B = 10
    t = default.tests[
        (default.tests.kind == "batch") & (default.tests.batch_size_a == 1) & (default.tests.batch_size_b == 10)
    ]
    # per seed: the paired counts are summed over the seeds
    assert s["pair_small"]["discordant"] == (t.only_a.iloc[0] + t.only_b.iloc[0]) / t.seeds.iloc[0]
    assert t.seeds.iloc[0] == len(default.seeds) == 3
    # directions slower than the horizon: counted from the spectrum of the full training set
    eig = default.tables["spectrum"]
    eig = eig[eig.n_train == 50000].eigenvalue.to_numpy()
    rank = int(floors[floors.n_train == 50000]["rank"].iloc[0])
    horizon = default.epochs * 50000 * steps[0]
    assert s["slow"] == f"{int(np.sum(eig[:rank] * horizon < 1)):,}"


def test_training_set_size_facts_of_the_default_build(default):
    s = training_set_size.facts(default)
    floors = default.tables["floors"]
    zero = floors[floors.floor_loss < 1e-12]
    assert s["threshold"]["N"] == f"{int(zero.n_train.max()):,}"
    assert all(int(r) == int(n) for r, n in zip(zero["rank"], zero.n_train))  # interpolation: N' = rank
    assert s["rows"][-1]["full"] and s["rows"][-1]["N"] == "50,000"


# ---- claims that fail: the written alternative is printed ----------------------------------


def _set_choice(inp, batch: int, lr: float) -> None:
    lc, runs = inp.tables["lr_choice"], inp.tables["runs"]
    at = (lc.backend == "numpy") & (lc.batch_size == batch) & (lc.n_train == inp.n_full)
    lc.loc[at, "chosen"] = np.isclose(lc.loc[at, "lr"], lr)
    at = (runs.backend == "numpy") & (runs.batch_size == batch) & (runs.n_train == inp.n_full)
    runs.loc[at, "chosen"] = np.isclose(runs.loc[at, "lr"], lr)


def test_a_choice_off_the_shared_step_drops_the_shared_step_claims(default):
    inp = changed(default)
    _set_choice(inp, 10, 0.001)
    status = statuses(rendered(inp))
    assert status["batch_size.shared_step"] == "dropped"
    assert status["batch_size.curves_coincide"] != "holds"


def test_a_significant_difference_between_batch_sizes_drops_no_difference(default):
    inp = changed(default)
    t = inp.tests
    t.loc[t.kind == "batch", "p_exact"] = 1e-6
    status = statuses(rendered(inp))
    assert status["batch_size.no_accuracy_difference"] == "dropped"
    assert status["batch_size.tests_made"] == "holds"


def test_a_better_exact_solution_drops_early_stopping(default):
    inp = changed(default)
    f = inp.tables["floors"]
    f.loc[f.n_train == inp.n_full, "test_accuracy"] = 0.99
    status = statuses(rendered(inp))
    assert status["batch_size.early_stopping"] == "dropped"
    assert status["training_set_size.sgd_above_w_star"] == "dropped"


def test_a_significant_last_step_in_n_replaces_the_plateau(default):
    inp = changed(default)
    t = inp.tests
    t.loc[t.kind == "subset", "p_exact"] = 1e-9
    # and the full set's runs a point better on every seed, so that the last step rises on each
    runs = inp.tables["runs"]
    full = (runs.backend == "numpy") & (runs.batch_size == 100) & (runs.n_train == 50000) & runs.chosen
    runs.loc[full, "final_test_accuracy"] += 0.01
    status = statuses(rendered(inp))
    assert status["training_set_size.rises"] == "holds"
    assert status["training_set_size.plateau"] == "dropped"
    assert status["training_set_size.every_step_significant"] == "holds"


def test_a_claim_that_holds_on_the_means_but_not_on_every_seed(default):
    """The default build's last step in N' raises the mean test accuracy but not every seed's:
    the report prints the wording written for that case, and the ledger says on how many seeds."""
    facts = rendered(default)
    claims = facts["training_set_size"]["claims"]
    (rises,) = [c for c in claims if c.id == "rises"]
    assert rises.holds_on_means and not rises.holds
    runs = default.runs
    chosen = runs[(runs.backend == "numpy") & (runs.batch_size == 100) & runs.chosen]
    by_seed = chosen.pivot_table(index="seed", columns="n_train", values="final_test_accuracy")
    rising = (by_seed.diff(axis=1).iloc[:, 1:] > 0).all(axis=1)
    assert rises.seeds == {int(s): bool(v) for s, v in rising.items()}
    k = int(rising.sum())
    assert claims.status("rises") == f"holds on {k} of {len(rising)} seeds"
    # a claim about every seed's runs breaks on one seed: no longer "holds"
    inp = changed(default)
    runs = inp.tables["runs"]
    one = (runs.backend == "numpy") & (runs.n_train == 1000) & runs.chosen & (runs.seed == 2)
    runs.loc[one, "final_test_accuracy"] = 0.5  # below N' = 500 on seed 2 only
    broken = rendered(inp)["training_set_size"]["claims"]
    (before_last,) = [c for c in broken if c.id == "rises_before_last"]
    assert before_last.seeds[2] is False and before_last.seeds[0] is True
    assert broken.status("rises_before_last") != "holds"


def test_the_ledger_lists_every_printed_claim_of_the_default_report_as_holding_with_its_margin(default):
    facts = rendered(default)
    ledger = render.ledger(facts)
    printed = [r for r in ledger if r["status"] != "not asked"]
    assert len(ledger) == sum(len(f["claims"]) for f in facts.values()) and printed
    assert all(r["status"] == "holds" or r["status"].startswith("holds on ") for r in printed), [
        (r["id"], r["status"]) for r in printed if not r["status"].startswith("holds")
    ]
    for r in printed:
        m = r["margin"]
        if m is None:
            continue
        # the margin is the deciding number against its limit, on the side that makes it hold
        assert m["value"] is not None and m["limit"] is not None, r["id"]
        assert m["distance"] is None or m["distance"] >= 0
    margins = {r["id"]: r["margin"] for r in printed}
    curves = margins["batch_size.curves_coincide"]
    assert curves["value"] < curves["limit"] == 0.01
    bound = margins["batch_size.full_batch_bound"]
    assert 0.05 <= bound["value"] <= 0.1 and bound["limit"] in (0.05, 0.1)
    # per-seed claims carry every seed; the others none
    seeds = {r["id"]: r["seeds"] for r in printed}
    assert seeds["batch_size.curves_coincide"] == {"0": True, "1": True, "2": True}
    assert seeds["batch_size.tie_rule_everywhere"] == {}
    json.dumps(ledger)  # JSON-ready


def test_every_lr_diverged_at_one_batch_size(default):
    inp = changed(default)
    runs, lc = inp.tables["runs"], inp.tables["lr_choice"]
    at = (runs.backend == "numpy") & (runs.batch_size == 1) & (runs.n_train == inp.n_full)
    runs.loc[at, ["diverged", "chosen"]] = [True, False]
    at = (lc.backend == "numpy") & (lc.batch_size == 1) & (lc.n_train == inp.n_full)
    lc.loc[at, ["diverged", "chosen"]] = [True, False]
    facts = rendered(inp)
    s = facts["batch_size"]
    assert s["diverged_everywhere"] == ["1"]
    assert not s["rows"][0]["ok"]
    assert statuses(facts)["batch_size.single_example_bound"] != "holds"


def test_no_timing_of_the_textbook_step(default):
    inp = changed(default)
    inp.step_timing = None
    assert statuses(rendered(inp))["batch_size.textbook_small_b_slower"] != "holds"


# ---- the claim mechanism ---------------------------------------------------------------------


def test_a_claim_checked_twice_or_asked_unknown_is_an_error():
    claims = Claims("x")
    claims.check("a", "statement", True)
    with pytest.raises(ValueError, match="twice"):
        claims.check("a", "statement", False)
    with pytest.raises(AttributeError, match="no claim 'b'"):
        _ = claims.b
    assert claims.a is True and claims.status("a") == "holds"


def test_a_margin_is_the_distance_of_the_deciding_number_from_where_the_claim_flips():
    m = Margin("largest difference", 0.002, 0.01)
    assert m.distance == pytest.approx(0.8) and m.text() == "largest difference 0.002 against 0.01 (80% away)"
    assert Margin("ratio", 3.0, 1.5, log=True).distance == pytest.approx(1.0)  # a factor of two
    assert Margin("ratio", 0.75, 1.5, log=True).distance == pytest.approx(1.0)
    # as many digits as it takes for the two numbers to print differently
    assert "0.13066 against 0.13065" in Margin("pixel mean", 0.130660, 0.13065).text()
    # against a limit of zero the value is the distance: no percentage
    assert Margin("rise", 0.004, 0).text() == "rise 0.004 against 0"
    assert Margin("x", float("nan"), 1).as_dict()["distance"] is None
    claims = Claims("x")
    claims.check("a", "statement", True, per_seed=True)
    on_seed = Claims("x")
    on_seed.check("a", "statement", False, per_seed=True)
    claims.add_seed(1, on_seed)
    assert claims.holds("a") is False and claims.seeds_holding("a") == "0 of 1"
    assert claims.status("a") == "holds on 0 of 1 seeds"


def test_every_claim_a_section_checks_is_asked_by_its_template_and_no_other(default):
    facts = render.section_facts(default)
    for name in TITLES:
        template = (TEMPLATES / f"{name}.html.j2").read_text()
        asked = set(re.findall(r"\bc\.(\w+)", template)) - {"seeds_holding"}
        asked |= set(re.findall(r"\bc\.seeds_holding\(\"(\w+)\"\)", template))
        checked = {c.id for c in facts[name]["claims"]}
        assert asked == checked, (name, asked ^ checked)


def test_no_training_set_sizes_and_no_frameworks(default):
    inp = changed(default)
    inp.config = copy.deepcopy(default.config)
    inp.config["grid"]["subset_sizes"] = []
    inp.config["frameworks"]["backends"] = []
    facts = rendered(inp)
    assert facts["training_set_size"]["rows"] == []
    assert facts["frameworks"]["backends"] == []


def test_a_rise_that_prints_as_no_change_is_not_stated(default):
    """Test accuracy at N' = 10,000 set a hair (1e-6) above N' = 1,000's on every seed: larger,
    but printed identically, so 'rises' is not stated."""
    inp = changed(default)
    runs = inp.tables["runs"]
    at = (runs.backend == "numpy") & (runs.batch_size == 100) & runs.chosen
    for seed in inp.seeds:
        small = at & (runs.n_train == 1000) & (runs.seed == seed)
        large = at & (runs.n_train == 10000) & (runs.seed == seed)
        runs.loc[large, "final_test_accuracy"] = float(runs.loc[small, "final_test_accuracy"].iloc[0]) + 1e-6
    claims = rendered(inp)["training_set_size"]["claims"]
    assert not claims.holds("rises_before_last") and not claims.holds("rises")

"""Section 4, the training-set size (question 5): SGD at B fixed on random subsets of N' images,
against the exact least-squares solution W* of the same subset, and the interpolation threshold
where N' meets the dimension the images span."""

from __future__ import annotations

import math

import numpy as np

from mnist_sgd.report.claims import Claims, Margin
from mnist_sgd.report.formats import (
    acc_cell,
    differs_in_print,
    fmt_acc,
    fmt_int,
    fmt_loss,
    fmt_lr,
    fmt_p,
    fmt_pp,
    fmt_pp_ci,
    fmt_ratio,
    interval_halfwidth,
    join_words,
    wilson_halfwidth,
)
from mnist_sgd.report.queries import (
    ZERO_FLOOR,
    ReportInputs,
    chosen_runs,
    floor_accuracies,
    floor_of,
    holm,
    paired,
    point_result,
    stable_range,
)
from mnist_sgd.stats import newcombe_paired_interval

#: A training accuracy this close to 1 is a perfect fit of the training set.
PERFECT = 1 - 1e-9
#: "Far above": SGD's test accuracy above W*'s by at least this much at the threshold.
FAR = 0.2


def rises_in_print(values: list[float], fmt=fmt_acc) -> bool:
    """Each value above the one before it, and printed differently from it (``fmt``): a rise the
    reader cannot see in the printed numbers is not stated."""
    return all(b > a and differs_in_print(a, b, fmt) for a, b in zip(values, values[1:]))


def _runner_up(accuracies: dict, threshold) -> Margin | None:
    """W*'s test accuracy at the threshold against the next-worst size's."""
    others = [a for n, a in accuracies.items() if n != threshold]
    if threshold not in accuracies or not others:
        return None
    return Margin("W*'s test accuracy at the threshold against the next worst", accuracies[threshold], min(others))


def _step(inp: ReportInputs, b: int, small, large) -> dict | None:
    """The paired test of the chosen models at two training-set sizes, with Newcombe's interval."""
    t = paired(
        inp.tests,
        "subset",
        {"batch_size": b, "n_train": small.n_train, "lr": small.lr},
        {"batch_size": b, "n_train": large.n_train, "lr": large.lr},
    )
    if t is None:
        return None
    pairs = int(t.images) * int(t.seeds)  # the counts are summed over the seeds both sides have
    both = int(t.correct_a) - int(t.only_a)
    neither = pairs - both - int(t.only_a) - int(t.only_b)
    low, high = newcombe_paired_interval(both, int(t.only_b), int(t.only_a), neither)  # large minus small
    diff = (int(t.correct_b) - int(t.correct_a)) / pairs
    return {"p": float(t.p_exact), "low": low, "high": high, "diff": diff}


def facts(inp: ReportInputs) -> dict:
    cfg = inp.config
    b = int(cfg["grid"]["subset_batch_size"])
    claims = Claims("training_set_size")
    sizes = sorted(cfg["grid"]["subset_sizes"])
    full = point_result(inp.runs, b, inp.n_full)
    if sizes and full.ok and inp.n_full not in sizes and floor_of(inp.tables, inp.n_full):
        sizes = [*sizes, inp.n_full]  # the full training set closes the series
    results = [point_result(inp.runs, b, n) for n in sizes]
    floors = {n: floor_of(inp.tables, n) or {} for n in sizes}
    n_test = inp.images("test")
    ok = [r for r in results if r.ok]

    steps = [_step(inp, b, a, c) for a, c in zip(ok, ok[1:])]
    tested = [s for s in steps if s is not None]
    rejects = iter(holm([s["p"] for s in tested]))
    for s in tested:
        s["different"] = next(rejects)

    rows = []
    for r in results:
        f = floors[r.n_train]
        chosen = chosen_runs(inp.runs, b, r.n_train)
        step = next((s for a, s in zip(ok, steps) if a is r), None)
        rows.append(
            {
                "N": fmt_int(r.n_train),
                "full": r.n_train == inp.n_full,
                "ok": r.ok,
                "lr": fmt_lr(r.lr),
                "updates": fmt_int(r.updates),
                "train_acc": acc_cell(
                    r.train_accuracy, r.n_train, chosen.final_train_accuracy.tolist(), interval=False
                ),
                "test_acc": acc_cell(r.test_accuracy, n_test, chosen.final_test_accuracy.tolist()),
                "step": "–" if step is None else fmt_pp(step["diff"]) + ("" if step["different"] else " n.s."),
                "step_ci": "" if step is None else fmt_pp_ci(step["low"], step["high"]),
                "step_p": "–" if step is None else fmt_p(step["p"]),
                "floor": fmt_loss(f.get("floor_loss", math.nan)),
                "rank": fmt_int(f.get("rank", math.nan)),
                "ls_test_acc": acc_cell(
                    f.get("test_accuracy", math.nan), n_test, floor_accuracies(inp.tables, r.n_train)
                ),
                "ls_test_loss": fmt_loss(f.get("test_loss", math.nan)),
                "w_norm": fmt_ratio(f.get("w_norm", math.nan)),
            }
        )

    # ---- SGD: more data, better test accuracy, up to a plateau
    acc = [r.test_accuracy for r in ok]
    claims.check(
        "rises",
        "SGD's test accuracy rises with N'",
        len(ok) > 1 and rises_in_print(acc),
        margin=Margin("smallest rise of test accuracy between neighbouring N'", min(np.diff(acc), default=math.nan), 0),
        per_seed=True,
    )
    claims.check(
        "rises_before_last",
        "SGD's test accuracy rises with N' at every step but the last",
        len(ok) > 2 and rises_in_print(acc[:-1]),
        margin=Margin(
            "smallest rise of test accuracy before the last step", min(np.diff(acc[:-1]), default=math.nan), 0
        ),
        per_seed=True,
    )
    significant = [s["different"] for s in tested]
    claims.check(
        "every_step_significant",
        "every step up in N' raised test accuracy beyond noise (McNemar, Holm-corrected)",
        len(tested) == len(steps) > 0 and all(significant),
        margin=None if not tested else Margin("largest p-value of a step", max(t["p"] for t in tested), 0.05, log=True),
    )
    plateau = (
        len(tested) == len(steps) > 1 and not significant[-1] and all(significant[:-1]) and rises_in_print(acc[:-1])
    )
    claims.check(
        "plateau",
        "every step is significant but the last, which is within noise",
        plateau,
        margin=None if not tested else Margin("p-value of the last step", tested[-1]["p"], 0.05, log=True),
    )
    first = ok[0] if ok else None
    claims.check(
        "memorises_smallest",
        "SGD fits the smallest training set perfectly and tests at least 20 points lower",
        first is not None and first.train_accuracy >= PERFECT and first.train_accuracy - first.test_accuracy >= 0.2,
        margin=None
        if first is None
        else Margin("train-test gap at the smallest N'", first.train_accuracy - first.test_accuracy, 0.2),
        per_seed=True,
    )
    gaps = [r.train_accuracy - r.test_accuracy for r in ok]
    claims.check(
        "gap_shrinks",
        "the train-test gap of SGD shrinks as N' grows",
        len(ok) > 1 and rises_in_print(gaps[::-1], fmt_pp),
        margin=Margin(
            "smallest narrowing of the gap between neighbouring N'", -max(np.diff(gaps), default=math.nan), 0
        ),
        per_seed=True,
    )

    # ---- the draws: how much the choice of the N' images moves the result
    draw_ranges = [float(np.ptp(chosen_runs(inp.runs, b, r.n_train).final_test_accuracy)) for r in ok]
    several = len(inp.seeds) > 1 and all(r.seeds > 1 for r in ok)
    ci_width = [2 * wilson_halfwidth(r.test_accuracy, n_test) for r in ok]
    claims.check(
        "draws_shrink",
        "the range of SGD's test accuracy over the seeds' subset draws shrinks as N' grows",
        several and len(ok) > 1 and rises_in_print(draw_ranges[::-1], fmt_pp),
        margin=Margin(
            "smallest narrowing of the range between neighbouring N'", -max(np.diff(draw_ranges), default=math.nan), 0
        ),
        ranges=draw_ranges,
    )
    claims.check(
        "draw_beyond_test_noise",
        "at the smallest N' the range over the draws is wider than one model's 95 % interval on the test images",
        several and bool(ok) and draw_ranges[0] > ci_width[0],
        margin=None
        if not ok
        else Margin("range over the draws against the interval width", draw_ranges[0], ci_width[0]),
        range=draw_ranges[0] if ok else None,
        interval_width=ci_width[0] if ok else None,
    )

    # ---- W*: the interpolation threshold
    interp = [n for n in sizes if floors[n].get("floor_loss", math.inf) < ZERO_FLOOR]
    threshold = max(interp) if interp else None
    w_acc = {n: floors[n].get("test_accuracy", math.nan) for n in sizes}
    w_norm = {n: floors[n].get("w_norm", math.nan) for n in sizes}
    finite_acc = {n: a for n, a in w_acc.items() if math.isfinite(a)}
    worst = min(finite_acc, key=finite_acc.get) if finite_acc else None
    claims.check(
        "interpolates", "W* fits some training sets exactly (L* = 0, N' at most the rank)", bool(interp), per_seed=True
    )
    claims.check(
        "worst_at_threshold",
        "W* tests worst at the largest N' it still fits exactly",
        threshold is not None and worst == threshold and threshold != sizes[0],
        margin=_runner_up(finite_acc, threshold),
        per_seed=True,
    )
    claims.check(
        "recovers",
        "W* tests better at the largest N' than at the threshold",
        threshold is not None
        and threshold != sizes[-1]
        and w_acc[sizes[-1]] > w_acc[threshold]
        and differs_in_print(w_acc[sizes[-1]], w_acc[threshold]),
        margin=None
        if threshold is None
        else Margin(
            "W*'s test accuracy at the largest N' over the threshold's", w_acc[sizes[-1]] - w_acc[threshold], 0
        ),
        per_seed=True,
    )
    norms = [w_norm[n] for n in sizes if math.isfinite(w_norm[n])]
    claims.check(
        "norm_grows",
        "the norm of W* grows at least tenfold from the smallest N' to its largest value",
        len(norms) > 1 and max(norms) >= 10 * norms[0],
        margin=None if not norms else Margin("growth of ||W*||", max(norms) / norms[0], 10, log=True),
        per_seed=True,
    )
    peak = max((n for n in sizes if math.isfinite(w_norm[n])), key=w_norm.get, default=None)
    above = [r.test_accuracy >= w_acc[r.n_train] for r in ok if math.isfinite(w_acc.get(r.n_train, math.nan))]
    claims.check(
        "sgd_above_w_star",
        "SGD tests at least as high as W* at every N'",
        above and all(above),
        margin=Margin(
            "smallest lead of SGD's test accuracy over W*'s",
            min(
                (r.test_accuracy - w_acc[r.n_train] for r in ok if math.isfinite(w_acc.get(r.n_train, math.nan))),
                default=math.nan,
            ),
            0,
        ),
        per_seed=True,
    )
    at_threshold = next((r for r in ok if r.n_train == threshold), None)
    claims.check(
        "far_above_at_threshold",
        "at the threshold SGD tests at least 20 points above W*",
        at_threshold is not None and at_threshold.test_accuracy - w_acc[threshold] >= FAR,
        margin=None
        if at_threshold is None
        else Margin("SGD's lead over W* at the threshold", at_threshold.test_accuracy - w_acc[threshold], FAR),
        per_seed=True,
    )

    # ---- the smallest set with B = N' is full-batch gradient descent
    gd = next((n for n in sizes if n == b), None)
    gd_facts = {}
    if gd is not None:
        largest_lr, smallest_diverged = stable_range(inp.runs, b, gd)
        bound = floors[gd].get("gd_lr_bound", math.nan)
        gd_facts = {
            "N": fmt_int(gd),
            "bound": fmt_lr(float(f"{bound:.3g}")) if math.isfinite(bound) else "–",
            "largest": fmt_lr(largest_lr),
            "smallest_diverged": fmt_lr(smallest_diverged),
        }
        holds = largest_lr < bound < smallest_diverged
    claims.check(
        "full_batch_bound",
        "with B = N' the run is gradient descent and 2/lambda_max of that subset separates stable from diverged lrs",
        gd is not None and holds,
        margin=None if gd is None else Margin.nearer_edge("the bound", bound, largest_lr, smallest_diverged),
    )

    by_n = {r.n_train: r for r in ok}
    return {
        "claims": claims,
        "B": fmt_int(b),
        "rows": rows,
        "sizes": [fmt_int(n) for n in sizes],
        "asked_sizes": [fmt_int(n) for n in sorted(cfg["grid"]["subset_sizes"])],
        "smallest": None
        if first is None
        else {
            "N": fmt_int(first.n_train),
            "train": fmt_acc(first.train_accuracy),
            "test": fmt_acc(first.test_accuracy),
        },
        "largest": None if not ok else {"N": fmt_int(ok[-1].n_train), "test": fmt_acc(ok[-1].test_accuracy)},
        "plateau_from": fmt_int(ok[-2].n_train) if len(ok) > 1 else "–",
        "plateau_to": fmt_int(ok[-1].n_train) if ok else "–",
        "plateau_from_acc": fmt_acc(ok[-2].test_accuracy) if len(ok) > 1 else "–",
        "plateau_p": fmt_p(tested[-1]["p"]) if tested else "–",
        "threshold": None
        if threshold is None
        else {
            "N": fmt_int(threshold),
            "rank": fmt_int(floors[threshold].get("rank", math.nan)),
            "w_acc": fmt_acc(w_acc[threshold]),
            "sgd_acc": fmt_acc(by_n[threshold].test_accuracy) if threshold in by_n else "–",
        },
        "interp": join_words([fmt_int(n) for n in interp]),
        "norm_first": fmt_ratio(norms[0]) if norms else "–",
        "norm_peak": fmt_ratio(max(norms)) if norms else "–",
        "norm_peak_N": fmt_int(peak) if peak is not None else "–",
        "full_rank": fmt_int(floors[sizes[-1]].get("rank", math.nan)) if sizes else "–",
        "gd": gd_facts,
        "has_full": bool(sizes) and sizes[-1] == inp.n_full,
        "n_test": fmt_int(n_test),
        "ci_halfwidth": interval_halfwidth([r.test_accuracy for r in ok], n_test),
        "draws": None
        if not several or not ok
        else {
            "first_N": fmt_int(ok[0].n_train),
            "first_range": fmt_pp(draw_ranges[0]).lstrip("+"),
            "first_ci": fmt_pp(ci_width[0]).lstrip("+"),
            "last_N": fmt_int(ok[-1].n_train),
            "last_range": fmt_pp(draw_ranges[-1]).lstrip("+"),
            "last_full": ok[-1].n_train == inp.n_full,
        },
    }

"""Section 3, the batch size (questions 3 and 4): the chosen learning rates, time, loss and accuracy.

Facts: one row per B at its chosen lr, the lr choice of every (B, N') with the criterion's value,
the stability bounds, the gap to L* and what leaves it, the timing of the textbook step, and
the paired tests between batch sizes. Claims: every sentence of the template that depends on
these numbers.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from mnist_sgd import grid
from mnist_sgd.report.claims import Claims, Margin
from mnist_sgd.report.formats import (
    acc_cell,
    count_words,
    differs_in_print,
    fmt_acc,
    fmt_duration,
    fmt_int,
    fmt_loss,
    fmt_lr,
    fmt_p,
    fmt_ratio,
    fmt_seconds,
    interval_halfwidth,
    join_words,
    loss_column,
)
from mnist_sgd.report.queries import (
    ReportInputs,
    chosen_runs,
    criterion_by_seed,
    floor_of,
    full_set_curvature,
    holm,
    lr_choice,
    mean_curve,
    paired,
    point_result,
    point_runs,
    spectrum,
    stable_range,
)

#: Curves that differ by less than this (relative) at every epoch are called coinciding.
COINCIDE_RTOL = 0.01
#: The reference solution's training times per B for its 100 epochs (the assignment's hosted notebook).
REFERENCE_SECONDS = {1: 139, 10: 123, 100: 89, 1000: 68}
REFERENCE_EPOCHS = 100
#: The learning rate of the reference solution.
REFERENCE_LR = 0.5
#: Identical models by this share of test images classified differently or fewer.
FEW_DISCORDANT = 0.01


def _bracket_text(choice) -> str:
    """'9e-06 < 3e-05 < 9e-05': the chosen lr between its nearest tried neighbours ('…': none)."""
    below, above = choice.neighbours(choice.chosen)
    low = "…" if below is None else fmt_lr(below)
    high = "…" if above is None else fmt_lr(above)
    return f"{low} < {fmt_lr(choice.chosen)} < {high}"


def lr_table(inp: ReportInputs, points: list[grid.Point]) -> tuple[list[str], list[dict]]:
    """The criterion's value of every lr tried at every (B, N'), chosen/tied/diverged flagged."""
    lc = inp.tables["lr_choice"]
    lc = lc[lc.backend == grid.NUMPY]
    lrs = sorted(lc.lr.unique())
    criterion = inp.config["lr_search"]["criterion"]
    rows = []
    for p in points:
        choice = lr_choice(inp.tables, criterion, p.batch_size, p.n_train)
        sel = choice.candidates
        cells = []
        for lr in lrs:
            c = sel[np.isclose(sel.lr, lr)]
            if not len(c):
                cells.append({"text": "", "cls": "", "seeds": ""})
            elif bool(c.diverged.iloc[0]):
                cells.append({"text": "div.", "cls": "diverged", "seeds": ""})
            else:
                score = float(c.score.iloc[0]) if "score" in c else float(c.mean_val_accuracy.iloc[0])
                text = fmt_acc(score) if criterion == "val_accuracy" else fmt_loss(score)
                chosen = bool(c.chosen.iloc[0])
                cls = "chosen" if chosen else ("tied" if any(np.isclose(choice.tied, lr)) else "")
                seeds = ""  # the chosen lr's range over every seed, where more seeds than the search's trained it
                by_seed = criterion_by_seed(inp.tables, inp.config["lr_search"], p.batch_size, p.n_train, lr)
                if chosen and len(by_seed) > len(grid.search_seeds(inp.config)):
                    low, high = min(by_seed), max(by_seed)
                    # the width of the range, on one line of the narrow column
                    width = f"{100 * (high - low):.2f}\u00a0pp" if criterion == "val_accuracy" else f"{high - low:.2g}"
                    seeds = f"range\u00a0{width}"
                cells.append(
                    {
                        "text": text,
                        "cls": cls + (" best" if math.isclose(lr, choice.best or -1) else ""),
                        "seeds": seeds,
                    }
                )
        rows.append({"B": fmt_int(p.batch_size), "N": fmt_int(p.n_train), "cells": cells})
    return [fmt_lr(x) for x in lrs], rows


def _rel_spread(curves: dict[int, pd.Series]) -> dict[int, float]:  # noqa: F821
    """Largest relative difference of each B's loss curve from the smallest B's, over the epochs both reached."""
    ref_b = min(curves)
    ref = curves[ref_b]
    out = {}
    for b, c in curves.items():
        both = ref.index.intersection(c.index)
        both = both[both > 0]
        out[b] = float(np.max(np.abs(c[both] - ref[both]) / ref[both])) if len(both) else math.nan
    return out


def _timing(inp: ReportInputs, batches: list[int]) -> dict:
    """Seconds per epoch of the textbook step and of the compiled kernel, timed in one job on the
    same data (rule time_sgd_step), and the spread of the training runs that did identical work
    alone (a run trained in lockstep with others records a share of its job's time instead)."""
    timed = {"textbook": {}, "kernel": {}}
    st = inp.step_timing
    if st is not None and len(st):
        for r in st.itertuples():
            if r.implementation in timed:
                timed[r.implementation][int(r.batch_size)] = {
                    "epoch": float(r.seconds_per_epoch),
                    "update": float(r.seconds_per_update),
                    "example": float(r.seconds_per_example),
                }
    alone = {}
    for b in batches:
        pt = point_runs(inp.runs, b, inp.n_full)
        if "lockstep_models" in pt:
            pt = pt[pt.lockstep_models == 1]
        pt = pt[~pt.diverged.astype(bool) & (pt.epochs_run > 0)]
        if len(pt) > 1:
            per_epoch = (pt.train_seconds / pt.epochs_run).to_numpy(float)
            alone[b] = {"min": per_epoch.min(), "max": per_epoch.max(), "runs": len(pt)}
    tb, kn = timed["textbook"], timed["kernel"]
    rows = [
        {
            "B": fmt_int(b),
            "textbook": fmt_seconds(tb[b]["epoch"]) if b in tb else "–",
            "per_update": fmt_duration(tb[b]["update"]) if b in tb else "–",
            "kernel": fmt_seconds(kn[b]["epoch"]) if b in kn else "–",
            "kernel_example": fmt_duration(kn[b]["example"]) if b in kn else "–",
        }
        for b in batches
    ]
    return {"kernel": kn, "textbook": tb, "alone": alone, "rows": rows}


def facts(inp: ReportInputs) -> dict:
    cfg, n, epochs = inp.config, inp.n_full, inp.epochs
    batches = sorted(cfg["grid"]["batch_sizes"])
    claims = Claims("batch_size")
    criterion = cfg["lr_search"]["criterion"]
    results = {b: point_result(inp.runs, b, n) for b in batches}
    ok = [r for r in results.values() if r.ok]
    choices = {b: lr_choice(inp.tables, criterion, b, n) for b in batches}
    floor = floor_of(inp.tables, n) or {}
    curvature = full_set_curvature(inp.tables["floors"], n) or {}
    curves = {r.batch_size: mean_curve(inp.tables, r.batch_size, n, r.lr) for r in ok}
    spread = _rel_spread(curves) if curves else {}

    # ---- table of the chosen runs
    rows = []
    for b in batches:
        r, choice = results[b], choices[b]
        rows.append(
            {
                "B": fmt_int(b),
                "ok": r.ok,
                "lr": fmt_lr(r.lr),
                "step": fmt_lr(r.step),
                "decided": "" if not r.ok else ("tie rule" if choice.tie_decided else "best value"),
                "bracket": _bracket_text(choice) if r.ok else "",
                "updates": fmt_int(r.updates),
                **_run_time(inp, b, n, r.train_seconds),
                "test_acc": acc_cell(
                    r.test_accuracy, inp.images("test"), chosen_runs(inp.runs, b, n).final_test_accuracy.tolist()
                ),
                "spread": "–" if not r.ok or b == min(curves, default=b) else f"{100 * spread[b]:.2f}\u00a0%",
                "loss": r.train_loss,
                "gap": r.gap,
            }
        )
    loss_column(rows, "loss", significant=4)
    loss_column(rows, "gap", significant=4)

    # ---- the shared step lr/B and the coinciding curves
    steps = sorted({round(r.step, 15) for r in ok})
    shared = len(ok) >= 2 and len(steps) == 1
    claims.check("shared_step", "the chosen lrs share one lr/B", shared, per_seed=True, steps=steps)
    max_spread = max((v for b, v in spread.items() if b != min(spread)), default=math.nan)
    claims.check(
        "curves_coincide",
        f"the chosen runs' loss curves agree within {COINCIDE_RTOL:.0%} at every epoch",
        shared and max_spread <= COINCIDE_RTOL,
        margin=Margin("largest relative difference between the curves", max_spread, COINCIDE_RTOL),
        per_seed=True,
        max_relative_difference=max_spread,
    )
    pairs = _pairs(inp, ok, n)
    most = max(pairs, key=lambda p: p["discordant"], default=None)
    claims.check(
        "models_agree",
        f"every two chosen models classify all but {FEW_DISCORDANT:.0%} of the test images alike",
        most is not None and most["discordant"] <= FEW_DISCORDANT * inp.images("test"),
        margin=None
        if most is None
        else Margin("most test images classified differently", most["discordant"], FEW_DISCORDANT * inp.images("test")),
        most_discordant=None if most is None else most["discordant"],
    )
    smallest_pair = pairs[0] if pairs else None

    # ---- the lr choice: flat accuracy, the tie rule, the bracket
    decided_by_tie = [b for b in batches if results[b].ok and choices[b].tie_decided]
    claims.check("tie_rule_decided", "the tie rule, not the best criterion value, chose the lr", decided_by_tie)
    claims.check("tie_rule_everywhere", "the tie rule chose the lr at every B", ok and len(decided_by_tie) == len(ok))
    edge = [b for b in batches if results[b].ok and not choices[b].inside(choices[b].best)]
    claims.check("best_at_edge", "the criterion's own best lr is at the edge of the lrs tried", edge, batches=edge)
    inside = [b for b in batches if results[b].ok and choices[b].inside(results[b].lr)]
    claims.check("choice_inside", "every chosen lr has tried lrs on both sides", ok and len(inside) == len(ok))
    ses = [
        float(c.candidates[np.isclose(c.candidates.lr, c.best)].se.iloc[0])
        for c in choices.values()
        if "se" in c.candidates and c.best is not None
    ]

    # ---- the other seeds at the chosen lr: does the criterion move by more than its noise?
    seed_spreads = [
        max(v) - min(v)
        for r in ok
        if len(v := criterion_by_seed(inp.tables, cfg["lr_search"], r.batch_size, n, r.lr)) > 1
    ]
    seed_spread = max(seed_spreads, default=math.nan)
    claims.check(
        "choice_seed_robust",
        "across the seeds the chosen lr's criterion moves by less than one standard error at every B",
        len(seed_spreads) == len(ok) > 0 and ses and seed_spread < min(ses),
        margin=Margin("largest spread of the criterion over the seeds", seed_spread, min(ses, default=math.nan)),
        largest_spread=seed_spread,
        smallest_se=min(ses, default=math.nan),
    )

    # ---- stability: the largest stable and smallest diverged lr per B, against the bounds
    stable = {}
    for b in batches:
        largest_lr, smallest_diverged = stable_range(inp.runs, b, n)
        stable[b] = {"largest": largest_lr, "smallest_diverged": smallest_diverged}
    example_bound = 2 / floor["mean_sq_norm"] if floor.get("mean_sq_norm") else math.nan
    gd_bound = curvature.get("gd_lr_bound", math.nan)
    b1, bmax = batches[0], batches[-1]
    claims.check(
        "single_example_bound",
        "at the smallest B the per-example bound 2/mean||x||^2 lies between the largest stable and the smallest diverged lr",
        b1 == 1 and stable[b1]["largest"] < example_bound < stable[b1]["smallest_diverged"],
        margin=Margin.nearer_edge(
            "the bound 2/mean ||x||^2", example_bound, stable[b1]["largest"], stable[b1]["smallest_diverged"]
        ),
        bound=example_bound,
        **{k: stable[b1][k] for k in ("largest", "smallest_diverged")},
    )
    claims.check(
        "full_batch_bound",
        "at the largest B the bound 2/lambda_max lies between the largest stable and the smallest diverged lr",
        len(batches) > 1 and stable[bmax]["largest"] <= gd_bound < stable[bmax]["smallest_diverged"],
        margin=Margin.nearer_edge(
            "the bound 2/lambda_max", gd_bound, stable[bmax]["largest"], stable[bmax]["smallest_diverged"]
        ),
        bound=gd_bound,
        **{k: stable[bmax][k] for k in ("largest", "smallest_diverged")},
    )
    largest = [stable[b]["largest"] for b in batches]
    claims.check(
        "stable_range_grows",
        "the largest stable lr never shrinks as B grows",
        len(batches) > 1 and all(np.isfinite(largest)) and all(x <= y for x, y in zip(largest, largest[1:])),
        margin=Margin(
            "smallest ratio of the largest stable lr between neighbouring B",
            min(_ratios(largest), default=math.nan),
            1,
            log=True,
        ),
        largest=largest,
    )
    steps_max = [stable[b]["largest"] / b for b in batches]
    claims.check(
        "large_b_leave_first",
        "the largest stable lr/B falls as B grows (the larger batches meet their stability limit at a smaller lr/B)",
        len(batches) > 1 and all(np.isfinite(steps_max)) and all(x > y for x, y in zip(steps_max, steps_max[1:])),
        margin=Margin(
            "smallest ratio of the largest stable lr/B between neighbouring B",
            min(_ratios(steps_max[::-1]), default=math.nan),
            1,
            log=True,
        ),
        largest_steps=steps_max,
    )
    ref_lr = REFERENCE_LR
    at_ref = [point_runs(inp.runs, b, n) for b in batches]
    at_ref = [pt[np.isclose(pt.lr, ref_lr)] for pt in at_ref]
    claims.check(
        "reference_lr_diverges",
        f"the reference solution's lr {fmt_lr(ref_lr)} diverged at every B",
        all(len(x) and bool(x.diverged.all()) for x in at_ref),
    )

    # ---- the gap to L*: noise at large lr/B, slow directions at small lr/B
    noise = _noise_floor(inp, b1, n, results[b1])
    claims.check(
        "noise_floor",
        "at the smallest B the final gap grows with lr above the gap-minimising lr, to 10x the chosen run's gap",
        noise is not None and noise["monotone"] and noise["largest_gap"] >= 10 * results[b1].gap,
        margin=None
        if noise is None
        else Margin(
            "largest stable lr's gap over the chosen run's", noise["largest_gap"] / results[b1].gap, 10, log=True
        ),
        **(noise or {}),
    )
    falling = {}
    for r in ok:
        c = curves[r.batch_size]
        mid, end = c.get(epochs // 2), c.get(epochs)
        if mid is not None and end is not None:
            falling[r.batch_size] = {"mid": mid - r.floor_loss, "end": end - r.floor_loss}
    claims.check(
        "still_falling",
        "at every B the gap at the last epoch is at most 80 % of the gap at half the epochs",
        falling and all(v["end"] <= 0.8 * v["mid"] for v in falling.values()),
        margin=Margin(
            "largest ratio of the final gap to the gap at half the epochs",
            max((v["end"] / v["mid"] for v in falling.values()), default=math.nan),
            0.8,
        ),
        per_seed=True,
        gaps=falling,
    )
    eig = spectrum(inp.tables, n)
    chosen_step = ok[0].step if shared else math.nan
    horizon = epochs * n * chosen_step  # gradient-flow time of the chosen runs
    rank = int(floor.get("rank", 0)) if floor else 0
    nonzero = eig[:rank] if rank else eig[eig > 0]
    slow = int(np.sum(nonzero * horizon < 1)) if len(nonzero) and math.isfinite(horizon) else 0
    claims.check(
        "slow_directions",
        "some directions of the data have curvature below 1/(epochs * n * lr/B): SGD has hardly moved along them",
        slow > 0,
        margin=Margin("directions slower than 1/t", slow, 0.5),
        slow=slow,
        horizon=horizon,
    )
    ref = results.get(cfg["grid"]["subset_batch_size"]) or (ok[0] if ok else None)
    claims.check(
        "early_stopping",
        "SGD at its chosen lr tests at least as high as the exact least-squares solution W*",
        ref is not None and ref.ok and floor and ref.test_accuracy >= floor["test_accuracy"],
        margin=None
        if ref is None or not floor
        else Margin("SGD's test accuracy against W*'s", ref.test_accuracy, floor["test_accuracy"]),
        per_seed=True,
        sgd=None if ref is None else ref.test_accuracy,
        w_star=floor.get("test_accuracy"),
    )
    claims.check(
        "w_star_test_loss",
        "W* has a test loss above SGD's",
        floor
        and ref is not None
        and ref.ok
        and floor.get("test_loss", 0) > _final(inp, ref, "final_test_loss")
        and differs_in_print(floor.get("test_loss", 0), _final(inp, ref, "final_test_loss"), fmt_loss),
        margin=None
        if ref is None or not floor or not ref.ok
        else Margin(
            "W*'s test loss against SGD's",
            floor.get("test_loss", math.nan),
            _final(inp, ref, "final_test_loss"),
            log=True,
        ),
        per_seed=True,
    )

    # ---- time
    timing = _timing(inp, batches)
    tb, kn = timing["textbook"], timing["kernel"]
    speedup = tb[b1]["epoch"] / tb[bmax]["epoch"] if b1 in tb and bmax in tb and b1 != bmax else math.nan
    claims.check(
        "textbook_small_b_slower",
        "the textbook step takes at least twice as long per epoch at the smallest B as at the largest",
        speedup >= 2,
        margin=Margin("ratio of the epoch times", speedup, 2, log=True),
        ratio=speedup,
    )
    fastest = min(tb, key=lambda b: tb[b]["epoch"]) if tb else None
    claims.check(
        "textbook_levels_off",
        "the textbook step's fastest epoch is at a batch size below the largest",
        fastest is not None and fastest != max(tb),
        fastest=fastest,
    )
    kernel_epochs = [kn[b]["epoch"] for b in batches if b in kn]
    across = max(kernel_epochs) / min(kernel_epochs) if len(kernel_epochs) > 1 else math.nan
    claims.check(
        "kernel_flat",
        "the compiled kernel's time per epoch changes by less than a factor of 1.5 across the batch sizes",
        across <= 1.5,
        margin=Margin("ratio of the slowest to the fastest epoch", across, 1.5, log=True),
        across=across,
    )
    alone = timing["alone"]
    spread_b = max(alone, key=lambda b: alone[b]["max"] / alone[b]["min"], default=None)
    within = alone[spread_b]["max"] / alone[spread_b]["min"] if spread_b is not None else math.nan
    claims.check(
        "runs_spread",
        "training runs that did identical work alone differ in time per epoch by at least 10 %",
        within >= 1.1,
        margin=Margin("ratio of the slowest to the fastest run", within, 1.1, log=True),
        within=within,
    )

    # ---- accuracy: paired tests between batch sizes, Holm-corrected
    rejects = holm([p["p"] for p in pairs]) if pairs else []
    claims.check(
        "no_accuracy_difference",
        "no two batch sizes differ in test accuracy (McNemar, Holm-corrected)",
        pairs and not any(rejects),
        margin=None
        if not pairs
        else Margin(
            "smallest p-value (Holm: against 0.05 / tests)", min(p["p"] for p in pairs), 0.05 / len(pairs), log=True
        ),
        tests=len(pairs),
    )
    claims.check("tests_made", "paired tests between batch sizes were made", bool(pairs))

    lr_columns, lr_rows = lr_table(inp, grid.all_points(cfg))
    return {
        "claims": claims,
        "reference_lr": fmt_lr(REFERENCE_LR),
        "lr_columns": lr_columns,
        "lr_rows": lr_rows,
        "batches": [fmt_int(b) for b in batches],
        "rows": rows,
        "diverged_everywhere": [fmt_int(b) for b in batches if not results[b].ok],
        "step": fmt_lr(chosen_step),
        "horizon": fmt_int(horizon) if math.isfinite(horizon) else "–",
        "max_spread": f"{100 * max_spread:.2f}\u00a0%" if math.isfinite(max_spread) else "–",
        "pair_small": smallest_pair,
        "pair_most": most,
        "tests": len(pairs),
        "se": f"{100 * max(ses):.2f}\u00a0percentage points" if ses else "–",
        "ci_halfwidth": interval_halfwidth([r.test_accuracy for r in ok], inp.images("test")),
        "se_min": f"{100 * min(ses):.2f}\u00a0percentage points" if ses else "–",
        "seed_spread": f"{100 * seed_spread:.2f}\u00a0percentage points" if math.isfinite(seed_spread) else "–",
        "edge_side": _edge_side(choices, edge),
        "tie_batches": join_words([fmt_int(b) for b in decided_by_tie]),
        "edge_batches": join_words([fmt_int(b) for b in edge]),
        "stable_first": _fmt_stable(stable[b1]),
        "stable_last": _fmt_stable(stable[bmax]),
        "reference": ", ".join(
            f"{fmt_seconds(REFERENCE_SECONDS[b] / REFERENCE_EPOCHS)} at B = {fmt_int(b)}"
            for b in batches
            if b in REFERENCE_SECONDS
        )
        if len([b for b in batches if b in REFERENCE_SECONDS]) > 1
        else "",
        "example_bound": fmt_ratio(example_bound) if math.isfinite(example_bound) else "–",
        "example_bound_lr": fmt_lr(float(f"{example_bound:.2g}")) if math.isfinite(example_bound) else "–",
        "mean_sq_norm": fmt_ratio(floor.get("mean_sq_norm", math.nan)),
        "lambda_max": fmt_ratio(curvature.get("lambda_max", math.nan)),
        "gd_bound": fmt_lr(float(f"{gd_bound:.2g}")) if math.isfinite(gd_bound) else "–",
        "b1": fmt_int(b1),
        "curve_ref": fmt_int(min(curves)) if curves else fmt_int(b1),
        "bmax": fmt_int(bmax),
        "noise": _fmt_noise(noise),
        "chosen_gap_b1": fmt_loss(results[b1].gap),
        "falling": {fmt_int(b): {k: fmt_loss(v) for k, v in g.items()} for b, g in falling.items()},
        "falling_first": {"B": fmt_int(min(falling))} | {k: fmt_loss(v) for k, v in falling[min(falling)].items()}
        if falling
        else {},
        "mid_epoch": fmt_int(epochs // 2),
        "slow": fmt_int(slow),
        "rank": fmt_int(rank),
        "orders": fmt_int(math.floor(math.log10(nonzero[0] / nonzero[-1])))
        if len(nonzero) and nonzero[-1] > 0
        else "–",
        "w_star_test": fmt_acc(floor.get("test_accuracy", math.nan)),
        "w_star_test_loss": fmt_loss(floor.get("test_loss", math.nan)),
        "w_star_norm": fmt_ratio(floor.get("w_norm", math.nan)),
        "sgd_ref": None
        if ref is None or not ref.ok
        else {
            "B": fmt_int(ref.batch_size),
            "test": fmt_acc(ref.test_accuracy),
            "test_loss": fmt_loss(_final(inp, ref, "final_test_loss")),
        },
        "floor": fmt_loss(floor.get("floor_loss", math.nan)),
        "timing_rows": timing["rows"],
        "textbook_ratio": fmt_ratio(speedup),
        "textbook_fastest": fmt_int(fastest) if fastest is not None else "–",
        "kernel_across": fmt_ratio(across),
        "spread": None
        if spread_b is None
        else {
            "B": fmt_int(spread_b),
            "runs": count_words(alone[spread_b]["runs"], "run"),
            "min": fmt_seconds(alone[spread_b]["min"]),
            "max": fmt_seconds(alone[spread_b]["max"]),
            "ratio": fmt_ratio(within),
        },
        "has_textbook": bool(tb),
        "epochs": fmt_int(epochs),
    }


def _edge_side(choices: dict, edge: list[int]) -> str:
    """Where the criterion's best lr sits at the batch sizes in ``edge``: "smallest", "largest" or both."""
    sides = set()
    for b in edge:
        sides.add("smallest" if math.isclose(choices[b].best, choices[b].trained.min()) else "largest")
    return " or ".join(sorted(sides, reverse=True)) if sides else ""


def _run_time(inp: ReportInputs, b: int, n: int, mean_seconds: float) -> dict:
    """The training time of the chosen runs at (B, N'): the mean of those that trained alone
    (what a run costs), or else the mean share of their lockstep jobs, marked "share of K"."""
    pt = chosen_runs(inp.runs, b, n)
    if "lockstep_models" not in pt or not len(pt) or int(pt.lockstep_models.max()) <= 1:
        return {"seconds": fmt_seconds(mean_seconds), "share": ""}
    alone = pt[pt.lockstep_models == 1]
    if len(alone):
        return {"seconds": fmt_seconds(float(alone.train_seconds.mean())), "share": ""}
    return {"seconds": fmt_seconds(mean_seconds), "share": f"share of {int(pt.lockstep_models.max())}"}


def _final(inp: ReportInputs, r, column: str) -> float:
    return float(chosen_runs(inp.runs, r.batch_size, r.n_train)[column].mean())


def _pairs(inp: ReportInputs, ok, n: int) -> list[dict]:
    """The paired test of every two chosen models of different B, smallest B pair first."""
    out = []
    for a, b in itertools.combinations(sorted(ok, key=lambda r: r.batch_size), 2):
        t = paired(
            inp.tests,
            "batch",
            {"batch_size": a.batch_size, "n_train": n, "lr": a.lr},
            {"batch_size": b.batch_size, "n_train": n, "lr": b.lr},
        )
        if t is not None:
            out.append(
                {
                    "a": fmt_int(a.batch_size),
                    "b": fmt_int(b.batch_size),
                    # per seed: the counts are summed over the seeds both sides have
                    "discordant": (int(t.only_a) + int(t.only_b)) / int(t.seeds),
                    "discordant_text": fmt_int((int(t.only_a) + int(t.only_b)) / int(t.seeds)),
                    "p": float(t.p_exact),
                    "p_text": fmt_p(float(t.p_exact)),
                }
            )
    return out


def _noise_floor(inp: ReportInputs, b: int, n: int, chosen) -> dict | None:
    """At batch size b: the stable runs by lr, whether their final gap grows with lr above the
    lr of the smallest gap, and the gap of the largest stable lr."""
    if not chosen.ok:
        return None
    pt = point_runs(inp.runs, b, n)
    pt = pt[~pt.diverged.astype(bool)].groupby("lr").gap_to_floor.mean().sort_index()
    if len(pt) < 3:
        return None
    lrs, gaps = pt.index.to_numpy(float), pt.to_numpy(float)
    best = int(np.argmin(gaps))
    return {
        # rising at every larger lr, and visibly so in the printed losses
        "monotone": all(b > a and differs_in_print(a, b, fmt_loss) for a, b in zip(gaps[best:], gaps[best + 1 :]))
        and best < len(gaps) - 1,
        "best_lr": float(lrs[best]),
        "largest_lr": float(lrs[-1]),
        "largest_gap": float(gaps[-1]),
        "best_gap": float(gaps[best]),
    }


def _ratios(values: list[float]) -> list[float]:
    """Each value over the one before it."""
    return [y / x for x, y in zip(values, values[1:]) if x and math.isfinite(x) and math.isfinite(y)]


def _fmt_stable(s: dict) -> dict:
    return {"largest": fmt_lr(s["largest"]), "smallest_diverged": fmt_lr(s["smallest_diverged"])}


def _fmt_noise(noise: dict | None) -> dict:
    if noise is None:
        return {}
    return {
        "best_lr": fmt_lr(noise["best_lr"]),
        "largest_lr": fmt_lr(noise["largest_lr"]),
        "largest_gap": fmt_loss(noise["largest_gap"]),
        "best_gap": fmt_loss(noise["best_gap"]),
    }

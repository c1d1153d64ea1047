"""Section 5, the framework check (question 6): TensorFlow and PyTorch on NumPy's own minibatches,
compared to rounding error, and Keras ``model.fit`` and a PyTorch ``DataLoader`` loop with their own
shuffling, compared statistically."""

from __future__ import annotations

import math

from mnist_sgd import grid
from mnist_sgd.report.claims import Claims, Margin
from mnist_sgd.report.formats import acc_cell, count_words, fmt_int, fmt_loss, fmt_lr, fmt_p
from mnist_sgd.report.queries import ReportInputs, holm, paired, point_result


def seed_list(seeds: list[int]) -> str:
    """Seeds as a column shows them: "3", "0–39" (consecutive), "0, 2, 7"."""
    seeds = sorted(set(seeds))
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def exact_rows(inp: ReportInputs) -> list[dict]:
    """One row per framework and (B, N', lr) against NumPy over its seeds: how many comparisons
    failed, the largest differences, and McNemar's test of the test images (pooled over seeds)."""
    table = inp.tables["consistency"]
    rows = []
    for (backend, b, n, lr), g in table.groupby(["backend", "batch_size", "n_train", "lr"], sort=False):
        acc = g[["max_abs_train_accuracy_diff", "max_abs_val_accuracy_diff", "max_abs_test_accuracy_diff"]]
        side = {"batch_size": int(b), "n_train": int(n), "lr": float(lr)}
        t = paired(inp.tests, "backend", {"backend": g.reference.iloc[0], **side}, {"backend": backend, **side})
        failed = g[g.verdict != "pass"]
        reasons = [f"seed {int(r.seed)}: {r.reasons}" if len(g) > 1 else r.reasons for r in failed.itertuples()]
        epochs = [int(e) - 1 for e in g.epochs_compared]  # the compared history includes epoch 0
        rows.append(
            {
                "backend": grid.BACKEND_NAMES.get(backend, backend),
                "B": fmt_int(int(b)),
                "N": fmt_int(int(n)),
                "lr": fmt_lr(float(lr)),
                "seed": seed_list(g.seed.astype(int).tolist()),
                "comparisons": len(g),
                "failed": len(failed),
                "verdict": "fail" if len(failed) else "pass",
                "verdict_text": ("fail" if len(failed) == len(g) else f"{len(failed)} of {len(g)} fail")
                if len(failed)
                else "pass",
                "epochs": str(min(epochs)) if min(epochs) == max(epochs) else f"{min(epochs)}–{max(epochs)}",
                "loss": f"{g.max_rel_train_loss_diff.max():.1e}",
                "weights": f"{g.max_abs_weight_diff.max():.1e}",
                "acc": f"{100 * float(acc.to_numpy().max()):.2f}\u00a0pp",
                "discordant": "–" if t is None else fmt_int(int(t.only_a) + int(t.only_b)),
                "reasons": "; ".join(reasons),
            }
        )
    return rows


def idiomatic_rows(inp: ReportInputs) -> list[dict]:
    """Keras model.fit and the PyTorch DataLoader loop (own shuffling) against NumPy at B = 100 on
    the full set and NumPy's lr: final loss, test accuracy with interval, McNemar's test."""
    p = grid.comparison_point(inp.config)
    runs, n_test = framework_seed_runs(inp), inp.images("test")
    ref = point_result(runs, p.batch_size, p.n_train)
    rows = []
    for backend in [b for b in inp.config["frameworks"]["backends"] if b in grid.IDIOMATIC]:
        own = runs[(runs.backend == backend) & (runs.batch_size == p.batch_size) & (runs.n_train == p.n_train)]
        if not len(own) or not ref.ok:
            continue
        side = {"batch_size": p.batch_size, "n_train": p.n_train, "lr": float(own.lr.iloc[0])}
        t = paired(inp.tests, "backend", {"backend": grid.NUMPY, **side}, {"backend": backend, **side})
        rows.append(
            {
                "backend": grid.BACKEND_NAMES[backend],
                "diverged": bool(own.diverged.astype(bool).any()),
                "loss": fmt_loss(float(own.final_train_loss.mean())),
                "acc": acc_cell(float(own.final_test_accuracy.mean()), n_test, own.final_test_accuracy.tolist()),
                "discordant": "–" if t is None else fmt_int(int(t.only_a) + int(t.only_b)),
                "p_value": math.nan if t is None else float(t.p_exact),
                "p": "–" if t is None else fmt_p(float(t.p_exact)),
            }
        )
    return rows


def _tolerance_margin(table, tol: dict) -> Margin | None:
    """The exact-order comparison closest to its tolerance: the largest relative loss difference
    against loss_rtol (the tightest of the three checks here)."""
    if table is None or not len(table):
        return None
    return Margin(
        "largest relative loss difference", float(table.max_rel_train_loss_diff.max()), tol["loss_rtol"], log=True
    )


def framework_seed_runs(inp: ReportInputs):
    """The runs table on the seeds the frameworks trained: NumPy's side of every comparison."""
    return inp.runs[inp.runs.seed.isin(grid.framework_seeds(inp.config))]


def facts(inp: ReportInputs) -> dict:
    claims = Claims("frameworks")
    cfg = inp.config
    backends = cfg["frameworks"]["backends"]
    p = grid.comparison_point(cfg)
    ref = point_result(framework_seed_runs(inp), p.batch_size, p.n_train)
    fw_seeds = grid.framework_seeds(cfg)
    tol = cfg["consistency"][cfg["training"]["dtype"]]
    exact = exact_rows(inp)
    idiomatic = idiomatic_rows(inp)
    n_cmp = sum(r["comparisons"] for r in exact)
    claims.check(
        "exact_all_pass",
        "every exact-order framework run agrees with NumPy within the tolerances",
        exact and all(r["verdict"] == "pass" for r in exact),
        margin=_tolerance_margin(inp.tables["consistency"], tol),
        comparisons=n_cmp,
    )
    ps = [r["p_value"] for r in idiomatic]
    tested = [x for x in ps if math.isfinite(x)]
    claims.check(
        "idiomatic_same",
        "no idiomatic framework run differs from NumPy in test accuracy (McNemar, Holm-corrected)",
        idiomatic and len(tested) == len(ps) and not any(holm(tested)),
        margin=None
        if not tested
        else Margin("smallest p-value (Holm: against 0.05 / tests)", min(tested), 0.05 / len(tested), log=True),
    )
    for r in idiomatic:
        del r["p_value"]
    return {
        "claims": claims,
        "backends": backends,
        "has_tensorflow": "tensorflow" in backends,
        "has_pytorch": "pytorch" in backends,
        "exact": exact,
        "idiomatic": idiomatic,
        "comparisons": n_cmp,
        "failed": sum(r["failed"] for r in exact),
        "B": fmt_int(p.batch_size),
        "N": fmt_int(p.n_train),
        "lr": fmt_lr(ref.lr),
        "numpy_loss": fmt_loss(ref.train_loss),
        "numpy_acc": acc_cell(ref.test_accuracy, inp.images("test")),
        "loss_rtol": f"{tol['loss_rtol']:g}",
        "weights_atol": f"{tol['weights_atol']:g}",
        "accuracy_atol": f"{100 * tol['accuracy_atol']:.2f}\u00a0pp",
        "dtype": cfg["training"]["dtype"],
        "epochs": fmt_int(inp.epochs),
        "has_figure": bool(backends),
        # the frameworks train fewer seeds than NumPy: which ones (None: every seed)
        "seeds_used": None if len(fw_seeds) == len(inp.seeds) else ", ".join(map(str, fw_seeds)),
        "seeds_used_count": count_words(len(fw_seeds), "seed"),
    }

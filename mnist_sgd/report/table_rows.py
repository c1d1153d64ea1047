"""The rows of the report's HTML tables, formatted (numbers through :mod:`mnist_sgd.report.formats`).

Every accuracy cell carries its 95 % Wilson interval over the evaluated images (and, with several
seeds, the min–max over seeds); one column of losses is printed with one precision; counts have
thousands separators; backends go by their display names.
"""

from __future__ import annotations

import math
import re

import pandas as pd

from mnist_sgd import grid
from mnist_sgd.report.brackets import bracket, bracket_text
from mnist_sgd.report.formats import (
    column_decimals,
    count_words,
    fmt_acc,
    fmt_ci,
    fmt_fixed,
    fmt_int,
    fmt_loss,
    fmt_lr,
    fmt_p,
    fmt_pp,
    fmt_seconds,
    join_words,
)
from mnist_sgd.aggregate.paired import find_test
from mnist_sgd.report.queries import ZERO_FLOOR, diverged_lrs, point_result, point_runs
from mnist_sgd.stats import accuracy_interval, seed_spread, verdict


def acc_cell(accuracy: float, images: int, per_seed=None) -> dict:
    """An accuracy with its 95 % Wilson interval over ``images`` and, with 2+ seeds, the seed range."""
    low, high = accuracy_interval(accuracy, images) if images else (math.nan, math.nan)
    cell = {"value": fmt_acc(accuracy), "ci": fmt_ci(low, high), "seeds": ""}
    spread = seed_spread(per_seed if per_seed is not None else [])
    if spread["n"] > 1:
        cell["seeds"] = f"seeds {fmt_ci(spread['min'], spread['max'])}"
    return cell


def _per_seed(runs: pd.DataFrame, b: int, n: int, column: str) -> list[float]:
    pt = point_runs(runs, b, n)
    return pt[pt.chosen.astype(bool)][column].tolist()


def _loss_columns(rows: list[dict], raw: dict[str, list[float]]) -> None:
    """Format each loss column of ``rows`` with one number of decimals (3 significant digits of its smallest)."""
    for col, values in raw.items():
        nonzero = [v for v in values if not (v is not None and math.isfinite(v) and abs(v) < ZERO_FLOOR)]
        d = column_decimals(nonzero, significant=4 if col == "train_loss" else 3)
        for row, v in zip(rows, values):
            row[col] = "0" if v is not None and math.isfinite(v) and abs(v) < ZERO_FLOOR else fmt_fixed(v, d)


def job_runs_text(runs: float) -> str:
    """How many runs a training job trained, when several (a grid job): "7 runs"; else ""."""
    return f"{fmt_int(round(runs))} runs" if runs > 1 else ""


def batch_rows(tables: dict, config: dict, n_images: dict[str, int]) -> list[dict]:
    """One row per B of question 3 (chosen lr, its bracket, time, loss, gap to L*, accuracies)."""
    runs, n = tables["runs"], config["data"]["n_train"]
    rows, raw = [], {"train_loss": [], "gap": []}
    for b in config["grid"]["batch_sizes"]:
        r = point_result(runs, b, n)
        br = bracket(tables, b, n)
        rows.append(
            {
                "B": fmt_int(b),
                "ok": r.ok,
                "lr": fmt_lr(r.lr),
                "bracket": bracket_text(br) if br else "",
                "diverged": ", ".join(fmt_lr(x) for x in diverged_lrs(runs, b, n)) or "none",
                "updates": fmt_int(r.updates) if r.ok else "–",
                "train_seconds": fmt_seconds(r.train_seconds),
                "job_seconds": fmt_seconds(r.job_seconds),
                "job_runs": job_runs_text(r.job_runs),
                "train_acc": acc_cell(r.train_accuracy, n, _per_seed(runs, b, n, "final_train_accuracy")),
                "val_acc": acc_cell(r.val_accuracy, n_images["val"], _per_seed(runs, b, n, "final_val_accuracy")),
                "test_acc": acc_cell(r.test_accuracy, n_images["test"], _per_seed(runs, b, n, "final_test_accuracy")),
            }
        )
        raw["train_loss"].append(r.train_loss)
        raw["gap"].append(r.gap)
    _loss_columns(rows, raw)
    return rows


def lr_grid_rows(tables: dict, config: dict, points: list[grid.Point], n_val: int) -> tuple[list[str], list[dict]]:
    """Validation accuracy (with interval) of every candidate lr per point ('diverged' where it diverged)."""
    lc = tables["lr_choice"]
    lc = lc[lc.backend == grid.NUMPY]
    lrs = sorted(lc.lr.unique())
    rows = []
    for p in points:
        sel = lc[(lc.batch_size == p.batch_size) & (lc.n_train == p.n_train)]
        cells = []
        for lr in lrs:
            c = sel[sel.lr == lr]
            if not len(c):
                cells.append({"value": "", "ci": "", "seeds": "", "chosen": False, "diverged": False})
            elif bool(c.diverged.iloc[0]):
                cells.append({"value": "diverged", "ci": "", "seeds": "", "chosen": False, "diverged": True})
            else:
                cell = acc_cell(float(c.mean_val_accuracy.iloc[0]), n_val)
                cells.append(cell | {"chosen": bool(c.chosen.iloc[0]), "diverged": False})
        br = bracket(tables, p.batch_size, p.n_train)
        closed = (
            ""
            if br is None
            else ("closed" if br["closed"] else "open") + (", budget used" if br["budget_exhausted"] else "")
        )
        rows.append({"B": fmt_int(p.batch_size), "N": fmt_int(p.n_train), "cells": cells, "bracket": closed})
    return [fmt_lr(x) for x in lrs], rows


def subset_rows(tables: dict, config: dict, n_images: dict[str, int]) -> list[dict]:
    runs, floors = tables["runs"], tables["floors"]
    b = config["grid"]["subset_batch_size"]
    rows, raw = [], {"train_loss": [], "floor": []}
    for n in sorted(config["grid"]["subset_sizes"]):
        r = point_result(runs, b, n)
        f = floors[floors.n_train == n]
        rows.append(
            {
                "N": fmt_int(n),
                "ok": r.ok,
                "lr": fmt_lr(r.lr),
                "updates": fmt_int(r.updates) if r.ok else "–",
                "train_acc": acc_cell(r.train_accuracy, n, _per_seed(runs, b, n, "final_train_accuracy")),
                "test_acc": acc_cell(r.test_accuracy, n_images["test"], _per_seed(runs, b, n, "final_test_accuracy")),
                "ls_train_acc": acc_cell(float(f.train_accuracy.mean()), n) if len(f) else acc_cell(math.nan, 0),
                "ls_test_acc": acc_cell(float(f.test_accuracy.mean()), n_images["test"])
                if len(f)
                else acc_cell(math.nan, 0),
                "rank": fmt_int(int(f["rank"].min())) if len(f) else "–",
            }
        )
        raw["train_loss"].append(r.train_loss)
        raw["floor"].append(float(f.floor_loss.mean()) if len(f) else math.nan)
    _loss_columns(rows, raw)
    return rows


def seed_list(seeds: list[int]) -> str:
    """Seeds as a column shows them: "3", "0–39" (consecutive), "0, 2, 7"."""
    seeds = sorted(set(seeds))
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def _span(values: list[int]) -> str:
    lo, hi = min(values), max(values)
    return str(lo) if lo == hi else f"{lo}–{hi}"


def consistency_rows(tables: dict, tests: pd.DataFrame | None = None) -> list[dict]:
    """One row per framework backend and (B, N', lr) against NumPy: its seeds, how many of their
    comparisons failed, the largest differences over the seeds, and McNemar's test of the test
    images (pooled over the seeds, as rule paired_tests computes it). With one seed a row is one
    comparison; with 40 seeds one row stands for 40 (a table of 80 rows said the same thing
    80 times). Epochs count training epochs (not the initial state)."""
    table = tables["consistency"]
    rows = []
    for (backend, b, n, lr), g in table.groupby(["backend", "batch_size", "n_train", "lr"], sort=False):
        acc = g[["max_abs_train_accuracy_diff", "max_abs_val_accuracy_diff", "max_abs_test_accuracy_diff"]]
        side = {"batch_size": int(b), "n_train": int(n), "lr": float(lr)}
        t = find_test(tests, "backend", {"backend": g.reference.iloc[0], **side}, {"backend": backend, **side})
        failed = g[g.verdict != "pass"]
        reasons = [f"seed {int(r.seed)}: {r.reasons}" if len(g) > 1 else r.reasons for r in failed.itertuples()]
        c = g.iloc[0]
        rows.append(
            {
                "backend": grid.BACKEND_NAMES.get(backend, backend),
                "B": fmt_int(int(b)),
                "N": fmt_int(int(n)),
                "lr": fmt_lr(float(lr)),
                "lr_path": c.lr_path,
                "seed": seed_list(g.seed.astype(int).tolist()),
                "comparisons": len(g),
                "failed": len(failed),
                "verdict": "fail" if len(failed) else "pass",
                "verdict_text": ("fail" if len(failed) == len(g) else f"{len(failed)} of {len(g)} fail")
                if len(failed)
                else "pass",
                "epochs": _span([int(e) - 1 for e in g.epochs_compared]),  # the compared history includes epoch 0
                "loss": f"{g.max_rel_train_loss_diff.max():.1e}",
                "weights": f"{g.max_abs_weight_diff.max():.1e}",
                "acc": fmt_pp(float(acc.to_numpy().max())),
                "discordant": "–" if t is None else fmt_int(int(t.only_a) + int(t.only_b)),
                "p": "–" if t is None else fmt_p(float(t.p_exact)),
                "tol": f"{c.loss_rtol:g} / {c.weights_atol:g} / {fmt_pp(c.accuracy_atol)}",
                "reasons": "; ".join(reasons),
            }
        )
    return rows


def data_rows(manifest: dict) -> list[dict]:
    splits = manifest["splits"]
    rows = [
        {"split": s, "n": info["labels"]["shape"][0], "counts": info["label_counts"], "total": False}
        for s, info in splits.items()
    ]
    if "train" in splits and "val" in splits:
        counts = [a + b for a, b in zip(splits["train"]["label_counts"], splits["val"]["label_counts"])]
        rows.append({"split": "train + val", "n": sum(counts), "counts": counts, "total": True})
    return [r | {"n": fmt_int(r["n"]), "counts": [fmt_int(c) for c in r["counts"]]} for r in rows]


def natural_key(text: str) -> list:
    """Sort key that orders the numbers inside a text by value: n500 before n10000."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def timing_rows(provenance: dict) -> list[dict]:
    jobs = sorted(provenance["timings"]["jobs"], key=lambda j: natural_key(j["job"]))
    return [
        {
            "job": j["job"],
            "seconds": fmt_seconds(j["seconds"]),
            "rss": "–" if j["max_rss_mb"] is None else f"{j['max_rss_mb']:,.0f} MB",
        }
        for j in jobs
    ]


def split_sizes(manifest: dict) -> dict[str, int]:
    """Number of images per split ({"train": 50000, "val": 10000, "test": 10000})."""
    return {s: int(info["labels"]["shape"][0]) for s, info in manifest["splits"].items()}


def idiomatic_rows(tables: dict, config: dict, tests: pd.DataFrame | None, n_test: int) -> list[dict]:
    """Keras model.fit and the PyTorch DataLoader loop (own shuffling) against NumPy at the
    comparison point and NumPy's lr: final test accuracies with intervals, McNemar's test."""
    p = grid.comparison_point(config)
    runs = tables["runs"]
    ref = point_result(runs, p.batch_size, p.n_train)
    rows = []
    for backend in [b for b in config["frameworks"]["backends"] if b in grid.IDIOMATIC]:
        own = runs[(runs.backend == backend) & (runs.batch_size == p.batch_size) & (runs.n_train == p.n_train)]
        if not len(own) or not ref.ok:
            continue
        side = {"batch_size": p.batch_size, "n_train": p.n_train, "lr": float(own.lr.iloc[0])}
        t = find_test(tests, "backend", {"backend": grid.NUMPY, **side}, {"backend": backend, **side})
        p_value = math.nan if t is None else float(t.p_exact)
        rows.append(
            {
                "backend": grid.BACKEND_NAMES[backend],
                "status": "diverged" if own.diverged.astype(bool).any() else "ok",
                "loss": fmt_loss(float(own.final_train_loss.mean())),
                "numpy_loss": fmt_loss(ref.train_loss),
                "acc": acc_cell(float(own.final_test_accuracy.mean()), n_test, own.final_test_accuracy.tolist()),
                "numpy_acc": acc_cell(ref.test_accuracy, n_test),
                "discordant": "–" if t is None else fmt_int(int(t.only_a) + int(t.only_b)),
                "p": "–" if t is None else fmt_p(p_value),
                "verdict": verdict(p_value) if t is not None else "not tested",
            }
        )
    return rows


def irregular_runs(tables: dict) -> list[str]:
    """Plain words on every run whose record holds more than a divergence (a non-finite value in
    its history, a history that disagrees with its summary): one sentence per run."""
    runs = tables["runs"]
    if "note" not in runs:
        return []
    out = []
    for _, r in runs[runs.note.str.contains("history.csv", regex=False)].iterrows():
        name = grid.BACKEND_NAMES.get(r.backend, r.backend)
        key = f"{name}, B = {fmt_int(int(r.batch_size))}, N′ = {fmt_int(int(r.n_train))}, lr = {fmt_lr(float(r.lr))}"
        out.append(f"The run {key}, seed {int(r.seed)}: {r.note}.")
    return out


#: Beyond this many benchmarked jobs the appendix lists one row per (backend, B, N') instead of one per job.
TIMING_ROWS_PER_JOB = 40


def timing_groups(tables: dict) -> list[dict]:
    """Training jobs per (backend, B, N'): how many runs and jobs, the jobs' total and longest
    wall time, peak memory."""
    runs = tables["runs"]
    rows = []
    for (backend, b, n), g in runs.groupby(["backend", "batch_size", "n_train"], sort=True):
        rss, n_runs = g.max_rss_mb.max(), len(g)
        g = g.drop_duplicates("job") if "job" in g else g  # a grid job trained several of these runs
        rows.append(
            {
                "key": f"{grid.BACKEND_NAMES.get(backend, backend)}, B = {fmt_int(int(b))}, N′ = {fmt_int(int(n))}",
                "runs": fmt_int(n_runs),
                "count": fmt_int(len(g)),
                "total": fmt_seconds(float(g.job_seconds.sum())),
                "max": fmt_seconds(float(g.job_seconds.max())),
                "rss": "–" if math.isnan(rss) else f"{rss:,.0f} MB",
            }
        )
    return rows


def where_jobs_ran(tables: dict) -> str:
    """One sentence: on which hosts the training runs ran, and how many as SLURM jobs."""
    runs = tables["runs"]
    if "host" not in runs or not len(runs):
        return ""
    hosts = runs.host.replace("", "unknown").value_counts()
    on = join_words([f"{fmt_int(int(count))} on {host}" for host, count in hosts.items()])
    slurm = runs[runs.slurm_job_id != ""]
    text = f"The {count_words(len(runs), 'training run')} ran {on}"
    if len(slurm):
        text += (
            f"; {fmt_int(len(slurm))} of them as SLURM jobs "
            f"({count_words(slurm.slurm_job_id.nunique(), 'distinct job id')})"
        )
    else:
        text += ", none under SLURM"
    return text + "."

"""The rows of the report's HTML tables, formatted (numbers through :mod:`mnist_sgd.report.formats`)."""

from __future__ import annotations

import math

from mnist_sgd import grid
from mnist_sgd.report.formats import fmt_acc, fmt_loss, fmt_lr, fmt_pp, fmt_seconds
from mnist_sgd.report.queries import ZERO_FLOOR, diverged_lrs, point_result


def batch_rows(tables: dict, config: dict) -> list[dict]:
    """One row per B of question 3 (chosen lr, time, loss, gap to L*, accuracy)."""
    runs, n = tables["runs"], config["data"]["n_train"]
    rows = []
    for b in config["grid"]["batch_sizes"]:
        r = point_result(runs, b, n)
        rows.append(
            {
                "B": b,
                "ok": r.ok,
                "lr": fmt_lr(r.lr),
                "diverged": ", ".join(fmt_lr(x) for x in diverged_lrs(runs, b, n)) or "none",
                "updates": f"{r.updates:,.0f}" if r.ok else "–",
                "train_seconds": fmt_seconds(r.train_seconds),
                "job_seconds": fmt_seconds(r.job_seconds),
                "train_loss": fmt_loss(r.train_loss),
                "gap": fmt_loss(r.gap),
                "train_acc": fmt_acc(r.train_accuracy),
                "val_acc": fmt_acc(r.val_accuracy),
                "test_acc": fmt_acc(r.test_accuracy),
            }
        )
    return rows


def lr_grid_rows(tables: dict, config: dict, points: list[grid.Point]) -> tuple[list[str], list[dict]]:
    """Validation accuracy of every candidate lr per point ('diverged' where it diverged)."""
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
                cells.append({"text": "–", "chosen": False, "diverged": False})
            elif bool(c.diverged.iloc[0]):
                cells.append({"text": "diverged", "chosen": False, "diverged": True})
            else:
                cells.append(
                    {
                        "text": fmt_acc(float(c.mean_val_accuracy.iloc[0])),
                        "chosen": bool(c.chosen.iloc[0]),
                        "diverged": False,
                    }
                )
        rows.append({"B": p.batch_size, "N": p.n_train, "cells": cells})
    return [fmt_lr(x) for x in lrs], rows


def subset_rows(tables: dict, config: dict) -> list[dict]:
    runs, floors = tables["runs"], tables["floors"]
    b = config["grid"]["subset_batch_size"]
    rows = []
    for n in sorted(config["grid"]["subset_sizes"]):
        r = point_result(runs, b, n)
        f = floors[floors.n_train == n]
        floor = float(f.floor_loss.mean()) if len(f) else math.nan
        rows.append(
            {
                "N": n,
                "ok": r.ok,
                "lr": fmt_lr(r.lr),
                "updates": f"{r.updates:,.0f}" if r.ok else "–",
                "train_loss": fmt_loss(r.train_loss),
                "floor": fmt_loss(floor) if floor >= ZERO_FLOOR or math.isnan(floor) else "0",
                "train_acc": fmt_acc(r.train_accuracy),
                "test_acc": fmt_acc(r.test_accuracy),
                "ls_train_acc": fmt_acc(float(f.train_accuracy.mean())) if len(f) else "–",
                "ls_test_acc": fmt_acc(float(f.test_accuracy.mean())) if len(f) else "–",
                "rank": f"{int(f['rank'].min())}" if len(f) else "–",
            }
        )
    return rows


def consistency_rows(tables: dict) -> list[dict]:
    rows = []
    for _, c in tables["consistency"].iterrows():
        acc = max(c.max_abs_train_accuracy_diff, c.max_abs_val_accuracy_diff, c.max_abs_test_accuracy_diff)
        rows.append(
            {
                "backend": c.backend,
                "B": int(c.batch_size),
                "N": int(c.n_train),
                "lr": fmt_lr(float(c.lr)),
                "lr_path": c.lr_path,
                "seed": int(c.seed),
                "verdict": c.verdict,
                "epochs": int(c.epochs_compared),
                "loss": f"{c.max_rel_train_loss_diff:.2e}",
                "weights": f"{c.max_abs_weight_diff:.2e}",
                "acc": fmt_pp(acc),
                "tol": f"{c.loss_rtol:g} / {c.weights_atol:g} / {fmt_pp(c.accuracy_atol)}",
                "reasons": c.reasons,
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
    return rows


def timing_rows(provenance: dict) -> list[dict]:
    return [
        {
            "job": j["job"],
            "seconds": fmt_seconds(j["seconds"]),
            "rss": "–" if j["max_rss_mb"] is None else f"{j['max_rss_mb']:.0f} MB",
        }
        for j in provenance["timings"]["jobs"]
    ]

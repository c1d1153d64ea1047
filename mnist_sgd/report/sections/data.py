"""Section 1, the data (question 1): the splits, their label counts and the pixel statistics,
checked against the published facts of MNIST."""

from __future__ import annotations

import math

from mnist_sgd.data.dataset import PIXEL_MEAN, PIXEL_STD, TEST_LABEL_COUNTS, TRAIN_LABEL_COUNTS
from mnist_sgd.report.claims import Claims, Margin
from mnist_sgd.report.formats import fmt_int
from mnist_sgd.report.queries import ReportInputs

SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}


def rows(manifest: dict) -> list[dict]:
    """One row per split (images, count of each label), and training + validation together."""
    splits = manifest.get("splits", {})
    out = [
        {
            "split": SPLIT_NAMES.get(s, s),
            "n": info["labels"]["shape"][0],
            "counts": info["label_counts"],
            "total": False,
        }
        for s, info in splits.items()
    ]
    if "train" in splits and "val" in splits:
        counts = [a + b for a, b in zip(splits["train"]["label_counts"], splits["val"]["label_counts"])]
        out.append({"split": "training + validation", "n": sum(counts), "counts": counts, "total": True})
    return out


def data_origin(sources: dict) -> str:
    """Where the MNIST files came from: the mirror URL, or "a local copy" (its path is in the appendix)."""
    files = sources.get("files") or []
    if not files:
        return "an unknown source"
    where = {f["source"].rsplit("/", 1)[0] for f in files}
    remote = sorted(w for w in where if w.startswith(("http://", "https://")))
    if remote and len(remote) == len(where):
        return ", ".join(remote)
    return "a local copy of the MNIST files"


def facts(inp: ReportInputs) -> dict:
    claims = Claims("data")
    table = rows(inp.manifest)
    splits = inp.manifest.get("splits", {})
    total = table[-1]["counts"] if table and table[-1]["total"] else None
    claims.check(
        "counts_published",
        "the label counts of all 60,000 training images equal the published ones",
        total is not None and tuple(total) == TRAIN_LABEL_COUNTS,
    )
    claims.check(
        "test_counts_published",
        "the test label counts equal the published ones",
        "test" in splits and tuple(splits["test"]["label_counts"]) == TEST_LABEL_COUNTS,
    )
    mean, std = inp.manifest.get("pixel_mean", math.nan), inp.manifest.get("pixel_std", math.nan)
    claims.check(
        "pixels_published",
        "the pixel mean and standard deviation round to the published 0.1307 and 0.3081",
        round(mean, 4) == PIXEL_MEAN and round(std, 4) == PIXEL_STD,
        # rounding flips once the mean leaves PIXEL_MEAN +- 0.00005
        margin=Margin(
            "pixel mean against the nearer rounding edge", mean, PIXEL_MEAN + math.copysign(5e-5, mean - PIXEL_MEAN)
        ),
        mean=mean,
        std=std,
    )
    train = splits.get("train", {}).get("label_counts") or [1]
    ratio = max(train) / max(min(train), 1)
    claims.check(
        "balanced",
        "the largest class of the training set is at most 1.5 times the smallest",
        ratio <= 1.5,
        margin=Margin("ratio of the largest class to the smallest", ratio, 1.5, log=True),
    )
    return {
        "claims": claims,
        "imbalance": f"{ratio:.2f}",
        "rows": [r | {"n": fmt_int(r["n"]), "counts": [fmt_int(c) for c in r["counts"]]} for r in table],
        "pixel_mean": f"{mean:.4f}",
        "pixel_std": f"{std:.4f}",
        "origin": data_origin(inp.sources),
        "files": len(inp.sources.get("files") or []),
    }

"""Paired comparisons of trained models on the same images (rule ``paired_tests``).

Two accuracies measured on the same 10,000 test images are not independent: most images are
classified alike by both models, and only the *discordant* images (right by one, wrong by the
other) carry evidence of a difference. For every comparison the report makes, this module
recomputes each model's per-image correctness from its saved weights (``weights.npz``) and
applies McNemar's test (:func:`mnist_sgd.stats.mcnemar_test`). With several seeds the
discordant counts of the runs with the same seed are summed (a sum of independent conditional
binomials is again binomial under the null hypothesis).

Comparisons (column ``kind``), at the chosen learning rate unless stated:

- ``batch``   every pair of batch sizes on the full training set (test images);
- ``subset``  consecutive training-set sizes N′, and the largest one against the full set (test);
- ``lr``      at every NumPy point, the chosen lr against each other lr that did not diverge
              (validation images: the ones the choice was made on);
- ``backend`` every framework run at a point against the NumPy run of the same lr and seed (test).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from mnist_sgd import grid
from mnist_sgd.aggregate.tables import RUN_KEY
from mnist_sgd.stats import mcnemar_test, paired_counts, verdict

SIDE = ["backend", "batch_size", "n_train", "lr"]
PAIRED_COLUMNS = [
    "kind",
    "split",
    *[f"{c}_a" for c in SIDE],
    *[f"{c}_b" for c in SIDE],
    "seeds",
    "images",
    "correct_a",
    "correct_b",
    "only_a",
    "only_b",
    "p_exact",
    "p_mid",
    "verdict",
]


def correct_predictions(weights: Mapping[str, np.ndarray], X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-image correctness (bool (n,)) of the linear model ``weights`` ({"W": (d, k), "b"?: (k,)})
    on images ``X`` (n, d) with integer labels (n,)."""
    scores = X @ weights["W"].astype(X.dtype, copy=False)
    if "b" in weights:
        scores += weights["b"]
    return np.argmax(scores, axis=1) == labels


def correct_predictions_of_many(
    models: list[Mapping[str, np.ndarray]], X: np.ndarray, labels: np.ndarray, block: int = 64
) -> list[np.ndarray]:
    """:func:`correct_predictions` of each of ``models`` on the same images, ``block`` models per
    matrix product: the images are read once per block instead of once per model, which made
    the paired tests of the 40-seed grid (about 2,000 models, 10,000 images each) 5x faster."""
    out: list[np.ndarray] = []
    for start in range(0, len(models), block):
        chunk = models[start : start + block]
        k = chunk[0]["W"].shape[1]
        W = np.concatenate([m["W"].astype(X.dtype, copy=False) for m in chunk], axis=1)  # (d, k * models)
        S = (X @ W).reshape(len(X), len(chunk), k)
        for j, m in enumerate(chunk):
            if "b" in m:
                S[:, j, :] += m["b"]
        right = np.argmax(S, axis=2) == labels[:, None]  # (n, models)
        out += [right[:, j] for j in range(len(chunk))]
    return out


def _pairs(runs: pd.DataFrame, config: dict) -> list[tuple[str, str, pd.DataFrame, pd.DataFrame]]:
    """(kind, split, runs of side A, runs of side B) of every comparison, each side one key with its seeds."""
    ok = runs[~runs.diverged.astype(bool)]
    numpy = ok[ok.backend == grid.NUMPY]
    chosen = numpy[numpy.chosen.astype(bool)]

    def at(b: int, n: int) -> pd.DataFrame:
        return chosen[(chosen.batch_size == b) & (chosen.n_train == n)]

    out = []
    n_full = config["data"]["n_train"]
    for b1, b2 in itertools.combinations(sorted(config["grid"]["batch_sizes"]), 2):
        out.append(("batch", "test", at(b1, n_full), at(b2, n_full)))
    sb = config["grid"]["subset_batch_size"]
    sizes = sorted(set(config["grid"]["subset_sizes"]))
    if sizes and sizes[-1] != n_full:
        sizes.append(n_full)
    for n1, n2 in zip(sizes, sizes[1:]):
        out.append(("subset", "test", at(sb, n1), at(sb, n2)))
    for (b, n), point in numpy.groupby(["batch_size", "n_train"]):
        best = at(b, n)
        if not len(best):
            continue
        for _lr, other in point[~np.isclose(point.lr, best.lr.iloc[0])].groupby("lr"):
            out.append(("lr", "val", best, other))
    frameworks = ok[ok.backend != grid.NUMPY]
    for _, fw in frameworks.groupby(["backend", "batch_size", "n_train", "lr"]):
        first = fw.iloc[0]
        ref = numpy[
            (numpy.batch_size == first.batch_size) & (numpy.n_train == first.n_train) & np.isclose(numpy.lr, first.lr)
        ]
        out.append(("backend", "test", ref, fw))
    return [p for p in out if len(p[2]) and len(p[3])]


def paired_tests_table(
    runs: pd.DataFrame,
    weights: Mapping[tuple, str | Path],
    splits: Mapping[str, tuple[np.ndarray, np.ndarray]],
    config: dict,
    load: Callable[[str | Path], Mapping[str, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """One row per comparison (columns :data:`PAIRED_COLUMNS`).

    Args:
        runs: the aggregated runs table.
        weights: run key (tuple of :data:`~mnist_sgd.aggregate.tables.RUN_KEY` values) -> weights.npz path.
        splits: {"test": (images (n, d), labels (n,)), "val": ...}.
        config: the validated config (grid, data sizes).
        load: reads a weights file (default :func:`mnist_sgd.train.run_files.read_weights`).
    """
    if load is None:
        from mnist_sgd.train.run_files import read_weights as load
    pairs = _pairs(runs, config)

    def key(row) -> tuple:
        return tuple(row[k] for k in RUN_KEY)

    # every model a test compares (the seeds both sides have), read once, scored per split in blocks
    needed: dict[str, dict[tuple, None]] = {}
    for _, split, side_a, side_b in pairs:
        common = set(side_a.seed.astype(int)) & set(side_b.seed.astype(int))
        for side in (side_a, side_b):
            both = side[side.seed.astype(int).isin(common)]
            needed.setdefault(split, {}).update(dict.fromkeys(both[RUN_KEY].itertuples(index=False, name=None)))
    models: dict[tuple, Mapping[str, np.ndarray]] = {}
    for k in dict.fromkeys(k for keys in needed.values() for k in keys):
        path = weights.get(k)
        if path is None:
            raise KeyError(f"no weights.npz among the inputs for run {dict(zip(RUN_KEY, k))}")
        models[k] = load(path)
    cache: dict[tuple, np.ndarray] = {}
    for split, keys in needed.items():
        scored = correct_predictions_of_many([models[k] for k in keys], *splits[split])
        cache |= {(k, split): c for k, c in zip(keys, scored, strict=True)}

    def correct(row, split: str) -> np.ndarray:
        return cache[(key(row), split)]

    rows = []
    for kind, split, side_a, side_b in pairs:
        by_seed_b = {int(r.seed): r for _, r in side_b.iterrows()}
        counts = {"both": 0, "only_a": 0, "only_b": 0, "neither": 0}
        seeds = 0
        for _, ra in side_a.iterrows():
            rb = by_seed_b.get(int(ra.seed))
            if rb is None:
                continue
            seeds += 1
            for k, v in paired_counts(correct(ra, split), correct(rb, split)).items():
                counts[k] += v
        if not seeds:
            continue
        test = mcnemar_test(counts["only_a"], counts["only_b"])
        a, b = side_a.iloc[0], side_b.iloc[0]
        rows.append(
            {
                "kind": kind,
                "split": split,
                **{f"{c}_a": a[c] for c in SIDE},
                **{f"{c}_b": b[c] for c in SIDE},
                "seeds": seeds,
                "images": len(splits[split][1]),
                "correct_a": counts["both"] + counts["only_a"],
                "correct_b": counts["both"] + counts["only_b"],
                "only_a": counts["only_a"],
                "only_b": counts["only_b"],
                "p_exact": test.p_exact,
                "p_mid": test.p_mid,
                "verdict": verdict(test.p_exact),
            }
        )
    return pd.DataFrame(rows, columns=PAIRED_COLUMNS)


def find_test(tests: pd.DataFrame | None, kind: str, a: dict, b: dict, split: str | None = None) -> pd.Series | None:
    """The row of ``tests`` comparing side ``a`` with side ``b`` (either order; dicts with any
    of backend/batch_size/n_train/lr), or None. A row found in the other order is returned
    with its A and B columns swapped."""
    if tests is None or not len(tests):
        return None
    sel = tests[tests.kind == kind] if split is None else tests[(tests.kind == kind) & (tests.split == split)]

    def match(frame: pd.DataFrame, x: dict, side: str) -> pd.Series:
        m = pd.Series(True, index=frame.index)
        for k, v in x.items():
            col = frame[f"{k}_{side}"]
            m &= np.isclose(col.astype(float), float(v)) if k == "lr" else (col == v)
        return m

    hit = sel[match(sel, a, "a") & match(sel, b, "b")]
    if len(hit):
        return hit.iloc[0]
    hit = sel[match(sel, b, "a") & match(sel, a, "b")]
    if not len(hit):
        return None
    row = hit.iloc[0].copy()
    for c in [*SIDE, "correct", "only"]:
        row[f"{c}_a"], row[f"{c}_b"] = row[f"{c}_b"], row[f"{c}_a"]
    return row


def accuracy(row: pd.Series, side: str) -> float:
    """Accuracy of side "a" or "b" of a test row, pooled over its seeds."""
    total = row["seeds"] * row["images"]
    return row[f"correct_{side}"] / total if total else math.nan

"""Paired tests from saved weights: per-image correctness, the comparisons made, McNemar's counts."""

import io

import numpy as np
import pandas as pd
import pytest

from mnist_sgd.aggregate.paired import correct_predictions, find_test, paired_tests_table
from mnist_sgd.stats import mcnemar_test
from mnist_sgd.train.run_files import read_weights

CONFIG = {
    "data": {"n_train": 50000},
    "grid": {"batch_sizes": [1, 100], "subset_sizes": [], "subset_batch_size": 100},
}


def save(tmp_path, name, W):
    path = tmp_path / f"{name}.npz"
    buffer = io.BytesIO()
    np.savez(buffer, W=W)
    path.write_bytes(buffer.getvalue())
    return path


def run(backend, b, lr, chosen=True, seed=0, diverged=False):
    return {
        "backend": backend,
        "batch_size": b,
        "n_train": 50000,
        "lr_path": "chosen" if backend != "numpy" else f"{lr:g}",
        "seed": seed,
        "lr": lr,
        "chosen": chosen,
        "diverged": diverged,
    }


def key(r):
    return (r["backend"], r["batch_size"], r["n_train"], r["lr_path"], r["seed"])


def test_correct_predictions_of_a_linear_model():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    W = np.array([[2.0, 0.0], [0.0, 1.0]], np.float32)  # class 0 when x0 dominates
    assert correct_predictions({"W": W}, X, np.array([0, 1, 1])).tolist() == [True, True, False]
    assert correct_predictions({"W": W, "b": np.array([0.0, 5.0], np.float32)}, X, np.array([0, 1, 1])).tolist() == [
        False,
        True,
        True,
    ]


def test_paired_table_counts_discordant_images_from_the_weights(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 5)).astype(np.float32)
    W_true = rng.normal(size=(5, 3)).astype(np.float32)
    labels = np.argmax(X @ W_true, axis=1)
    W_noisy = W_true + rng.normal(scale=0.8, size=W_true.shape).astype(np.float32)
    runs = [run("numpy", 1, 0.001), run("numpy", 100, 0.01), run("numpy", 100, 0.1, chosen=False)]
    runs += [run("numpy", 100, 0.5, chosen=False, diverged=True), run("pytorch", 100, 0.01)]
    weights = {
        key(runs[0]): save(tmp_path, "a", W_noisy),
        key(runs[1]): save(tmp_path, "b", W_true),
        key(runs[2]): save(tmp_path, "c", W_noisy),
        key(runs[4]): save(tmp_path, "d", W_true),
    }
    table = paired_tests_table(
        pd.DataFrame(runs), weights, {"test": (X, labels), "val": (X, labels)}, CONFIG, read_weights
    )
    assert sorted(table.kind) == ["backend", "batch", "lr"]  # the diverged run is never compared
    batch = find_test(table, "batch", {"batch_size": 1}, {"batch_size": 100})
    a, b = correct_predictions({"W": W_noisy}, X, labels), correct_predictions({"W": W_true}, X, labels)
    assert (batch.only_a, batch.only_b) == (int(np.sum(a & ~b)), int(np.sum(~a & b)))
    assert batch.correct_b == 400 and batch.images == 400 and batch.seeds == 1
    assert batch.p_exact == pytest.approx(mcnemar_test(batch.only_a, batch.only_b).p_exact)
    assert batch.verdict == ("different" if batch.p_exact < 0.05 else "indistinguishable")
    # the same test found with the sides swapped
    swapped = find_test(table, "batch", {"batch_size": 100}, {"batch_size": 1})
    assert (swapped.only_a, swapped.only_b) == (batch.only_b, batch.only_a)
    backend = find_test(table, "backend", {"backend": "numpy"}, {"backend": "pytorch"})
    assert (backend.only_a, backend.only_b, backend.p_exact) == (0, 0, 1.0)
    lr = table[table.kind == "lr"].iloc[0]
    assert (lr.split, lr.lr_a, lr.lr_b) == ("val", 0.01, 0.1)


def test_a_run_without_weights_is_an_error_naming_it(tmp_path):
    runs = [run("numpy", 1, 0.001), run("numpy", 100, 0.01)]
    X, labels = np.eye(3, dtype=np.float32), np.arange(3)
    with pytest.raises(KeyError, match="no weights.npz among the inputs for run"):
        paired_tests_table(pd.DataFrame(runs), {}, {"test": (X, labels), "val": (X, labels)}, CONFIG, read_weights)

"""Lockstep training (mnist_sgd.train.lockstep) gives each model the numbers of its solo run, bit for bit."""

import struct

import numpy as np
import pytest

from mnist_sgd.train.loop import EvalSet
from mnist_sgd.train.minibatches import draw_subset
from mnist_sgd.train.run import RunSettings, load_eval_sets, run_summary, train_run, train_runs, trains_in_lockstep
from mnist_sgd.train.run_files import TIMING_COLUMNS

#: Per B: stable lrs, one that diverges mid-run (its epoch in DIVERGES) and one that diverges at once.
LRS = {
    1: [0.001, 0.01, 0.02, 0.5],
    10: [0.003, 0.03, 0.052, 0.5],
    100: [0.01, 0.03, 0.054, 0.5],
    1000: [0.03, 0.05, 0.07, 0.5],
}
#: The lr of LRS that diverges mid-run on the 1,200 images of SETS, and the epoch it stops at.
DIVERGES = {1: (0.02, 5), 10: (0.052, 3), 100: (0.054, 4), 1000: (0.07, 4)}
EPOCHS = 8


def small_sets(mnist_arrays, n_train: int, dtype: str) -> list[EvalSet]:
    """``n_train`` real training images (subset seed 0), 500 validation and 500 test images."""
    train, val, test = load_eval_sets(mnist_arrays, draw_subset(50000, n_train, seed=0), dtype)
    return [train] + [EvalSet(s.name, s.X[:500], s.Y[:500], s.labels[:500]) for s in (val, test)]


@pytest.fixture(scope="module")
def sets(mnist_arrays):
    return small_sets(mnist_arrays, 1200, "float32")


def bits(history) -> list[tuple]:
    """A history's rows without the timing columns, every number as its bytes (NaN included)."""
    return [
        tuple(struct.pack("<d", v) if isinstance(v, float) else v for k, v in row.items() if k not in TIMING_COLUMNS)
        for row in history.rows
    ]


def assert_each_run_as_alone(runs, sets):
    together = train_runs(runs, sets)
    for settings, (history, params) in zip(runs, together, strict=True):
        alone, alone_params = train_run(settings, sets)
        assert (history.status, history.diverged_epoch) == (alone.status, alone.diverged_epoch), settings
        assert bits(history) == bits(alone), settings
        assert params.W.dtype == alone_params.W.dtype and params.W.tobytes() == alone_params.W.tobytes(), settings
        assert (params.b is None) == (alone_params.b is None)
        if params.b is not None:
            assert params.b.tobytes() == alone_params.b.tobytes(), settings
    return together


@pytest.mark.parametrize("batch_size", [1, 10, 100, 1000])
def test_each_model_equals_its_solo_run_bit_for_bit(sets, batch_size):
    runs = [RunSettings("numpy", batch_size, lr, seed=0, epochs=EPOCHS) for lr in LRS[batch_size]]
    assert trains_in_lockstep(runs)
    together = assert_each_run_as_alone(runs, sets)
    stopped = {r.lr: h.diverged_epoch for r, (h, _) in zip(runs, together, strict=True)}
    lr, epoch = DIVERGES[batch_size]
    assert stopped[lr] == epoch  # one model leaves the pass mid-run ...
    assert stopped[0.5] == 1 and stopped[LRS[batch_size][0]] is None  # ... one at once, one never
    assert len(together[0][0].rows) == EPOCHS + 1


def test_float64_with_bias_on_a_subset_of_100(mnist_arrays):
    sets = small_sets(mnist_arrays, 100, "float64")
    lrs = [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0]
    runs = [RunSettings("numpy", 10, lr, seed=2, epochs=6, dtype="float64", bias=True) for lr in lrs]
    together = assert_each_run_as_alone(runs, sets)
    assert {h.status for h, _ in together} == {"ok", "diverged"}


def test_more_models_than_one_block_of_columns(sets):
    """12 models: 120 columns, more than the 80 of one block of the kernels."""
    lrs = [0.0005 * 1.6**i for i in range(12)]
    runs = [RunSettings("numpy", 100, lr, seed=1, epochs=3) for lr in lrs]
    together = assert_each_run_as_alone(runs, sets)
    assert {h.status for h, _ in together} == {"ok", "diverged"}


def test_shared_seconds_are_split_evenly_between_the_live_models(sets):
    runs = [RunSettings("numpy", 100, lr, seed=0, epochs=EPOCHS) for lr in LRS[100]]
    seen = []
    together = train_runs(runs, sets, on_epoch=lambda i, row: seen.append((i, row["epoch"])))
    histories = [h for h, _ in together]
    for epoch in range(EPOCHS + 1):
        rows = [h.rows[epoch] for h in histories if len(h.rows) > epoch]
        for column in TIMING_COLUMNS:
            assert len({row[column] for row in rows}) == 1  # one share per live model
        assert all(row[column] >= 0 for row in rows for column in TIMING_COLUMNS)
    assert histories[3].status == "diverged" and len(histories[3].rows) == 2  # epochs 0 and 1, then out
    # a run's summary: its shares added up, and how many models shared its job
    summary = run_summary(runs[0], "0.01", 1200, histories[0], lockstep_models=len(runs))
    assert summary["train_seconds"] == sum(row["train_seconds"] for row in histories[0].rows)
    assert summary["lockstep_models"] == 4
    # the progress hook saw every row of every run, as it was recorded
    assert sorted(seen) == sorted((i, row["epoch"]) for i, h in enumerate(histories) for row in h.rows)
    assert seen[: len(runs)] == [(i, 0) for i in range(len(runs))]


def test_which_runs_train_in_lockstep():
    numpy_runs = [RunSettings("numpy", 100, lr, seed=0, epochs=3) for lr in (0.01, 0.03)]
    assert trains_in_lockstep(numpy_runs)
    assert not trains_in_lockstep(numpy_runs[:1])  # one lr: the solo path
    assert not trains_in_lockstep([RunSettings("tensorflow", 100, lr, seed=0, epochs=3) for lr in (0.01, 0.03)])
    assert not trains_in_lockstep([numpy_runs[0], RunSettings("numpy", 10, 0.03, seed=0, epochs=3)])
    assert not trains_in_lockstep([numpy_runs[0], RunSettings("numpy", 100, 0.03, seed=1, epochs=3)])


def test_lockstep_matrix_holds_the_models_side_by_side():
    from mnist_sgd.train.lockstep import Lockstep
    from mnist_sgd.train.textbook import Params

    rng = np.random.default_rng(0)
    X = rng.random((20, 6)).astype(np.float32) * (rng.random((20, 6)) < 0.5)
    Y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 20)]
    start = Params(rng.normal(size=(6, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32))
    models = Lockstep(X, Y, start, 5, [0.1, 0.2, 0.3])
    assert models.W.shape == (6, 16) and models.b.shape == (16,)  # 3 x 3 columns, padded to 16
    # class by class: model q's class c in column c * 3 + q
    assert np.array_equal(models.W[:, 1:9:3], start.W) and np.array_equal(models.b[1:9:3], start.b)
    assert not models.W[:, 9:].any()
    models.epoch(np.arange(20))
    p2 = models.params(2)
    models.drop([0])
    assert models.live == [1, 2] and models.W.shape == (6, 8)
    assert np.array_equal(models.params(2).W, p2.W) and np.array_equal(models.params(2).b, p2.b)

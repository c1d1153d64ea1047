"""The textbook step and the compiled kernel timed per B (rule time_sgd_step): the table's
columns and arithmetic on tiny arrays, with a fake clock (no timed assertion)."""

import itertools
import math

import numpy as np
import pytest

from mnist_sgd.step_timing import COLUMNS, expected_updates, time_epochs


@pytest.fixture
def tiny():
    rng = np.random.default_rng(0)
    X = (rng.random((53, 784)) < 0.2).astype("float32") * rng.random((53, 784), dtype="float32")
    labels = rng.integers(0, 10, 53)
    return X, np.eye(10, dtype="float32")[labels]


def test_the_table_has_a_row_per_implementation_and_b_and_its_arithmetic_adds_up(tiny):
    X, Y = tiny
    ticks = itertools.count()
    table = time_epochs(X, Y, [1, 5, 100], epochs=2, clock=lambda: 0.5 * next(ticks))
    assert list(table.columns) == COLUMNS
    assert list(zip(table.implementation, table.batch_size)) == [
        (impl, b) for impl in ("textbook", "kernel") for b in (1, 5, 100)
    ]
    for row in table.itertuples():
        assert row.updates == expected_updates(53, row.batch_size, 2) == math.ceil(53 / row.batch_size) * 2
        assert row.examples == 2 * 53 and row.epochs_timed == 2 and row.n_train == 53
        assert row.seconds == pytest.approx(2 * 0.5)  # one clock tick per timed epoch
        assert row.seconds_per_update == pytest.approx(row.seconds / row.updates)
        assert row.seconds_per_example == pytest.approx(row.seconds / row.examples)
        assert row.seconds_per_epoch == pytest.approx(row.seconds / 2)
        assert row.lr == pytest.approx(3e-5 * row.batch_size)


def test_a_partial_epoch_is_extrapolated_per_example(tiny):
    X, Y = tiny
    ticks = itertools.count()
    table = time_epochs(X, Y, [4], epochs=3, examples=10, clock=lambda: 0.1 * next(ticks))
    for row in table.itertuples():
        assert row.examples == 30 and row.updates == expected_updates(10, 4, 3) == 9
        assert row.seconds == pytest.approx(0.3)
        assert row.seconds_per_epoch == pytest.approx(0.3 / 30 * 53)

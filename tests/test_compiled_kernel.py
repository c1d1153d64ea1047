"""The compiled kernels the runs execute, held to the NumPy reference of mnist_sgd.train.textbook."""

import numpy as np
import pytest

from mnist_sgd.report.sections.sgd import KERNEL_EPOCHS, KERNEL_RTOL  # what the report states of this test
from mnist_sgd.train import compiled_kernel
from mnist_sgd.train.backends.numpy_backend import Trainer
from mnist_sgd.train.loop import EvalSet, evaluate
from mnist_sgd.train.minibatches import draw_subset, epoch_orders
from mnist_sgd.train.run import load_eval_sets
from mnist_sgd.train.textbook import Params, loss_and_accuracy, sgd_epoch


@pytest.fixture(scope="module")
def mnist_2000(mnist_arrays):
    """2,000 real training images and the 10,000 validation images, in float64."""
    return load_eval_sets(mnist_arrays, draw_subset(50000, 2000, seed=0), "float64")


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


def test_sparse_rows_hold_exactly_the_nonzero_entries():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 30)).astype(np.float32) * (rng.random((50, 30)) < 0.3)
    X[7] = 0  # an all-zero row
    rows = compiled_kernel.sparse_rows(X)
    assert len(rows) == 50 and rows.indptr[-1] == np.count_nonzero(X)
    assert rows.indptr[8] == rows.indptr[7]
    dense = np.zeros_like(X)
    for i in range(50):
        part = slice(rows.indptr[i], rows.indptr[i + 1])
        dense[i, rows.indices[part]] = rows.values[part]
        assert np.all(np.diff(rows.indices[part].astype(int)) > 0)
    assert np.array_equal(dense, X) and rows.values.dtype == np.float32 and rows.indices.dtype == np.uint16
    with pytest.raises(ValueError, match="65,536"):
        compiled_kernel.sparse_rows(np.zeros((1, 70000), dtype=np.float32))
    with pytest.raises(ValueError, match="17 classes"):
        compiled_kernel.padded(np.zeros((5, 17)))


@pytest.mark.parametrize("batch_size", [1, 10, 100, 1000])
@pytest.mark.parametrize("bias", [False, True])
def test_kernel_epochs_agree_with_the_reference_over_100_epochs_in_float64(mnist_2000, batch_size, bias):
    train = mnist_2000[0]
    lr = {1: 0.001, 10: 0.003, 100: 0.01, 1000: 0.03}[batch_size]
    start = Params.zeros(784, 10, "float64", bias)
    trainer, reference = Trainer(train.X, train.Y, start, batch_size, lr), start.copy()
    epochs = KERNEL_EPOCHS if batch_size > 1 else 30  # the reference B = 1 costs ~10 us per update
    for order in epoch_orders(seed=3, n=len(train.X), epochs=epochs):
        assert trainer.epoch(order) == sgd_epoch(reference, train.X, train.Y, order, batch_size, lr)
    params = trainer.params()
    assert relative_difference(params.W, reference.W) < KERNEL_RTOL
    if bias:
        assert relative_difference(params.b, reference.b) < KERNEL_RTOL
    assert loss_and_accuracy(params, train.X, train.Y, train.labels)[0] < 0.4  # it learned


def test_float32_kernel_epochs_agree_with_the_reference_to_float32_rounding(mnist_2000):
    train = mnist_2000[0]
    X, Y = train.X.astype(np.float32), train.Y.astype(np.float32)
    start = Params.zeros(784, 10, "float32")
    trainer, reference = Trainer(X, Y, start, 100, 0.01), start.copy()
    for order in epoch_orders(seed=1, n=len(X), epochs=20):
        trainer.epoch(order)
        sgd_epoch(reference, X, Y, order, 100, 0.01)
    assert trainer.params().W.dtype == np.float32
    assert relative_difference(trainer.params().W, reference.W) < 1e-4


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("bias", [False, True])
def test_evaluation_kernel_matches_the_dense_evaluation(mnist_2000, dtype, bias):
    val = mnist_2000[1]
    rng = np.random.default_rng(2)
    params = Params(
        rng.normal(scale=0.05, size=(784, 10)).astype(dtype), rng.normal(size=10).astype(dtype) if bias else None
    )
    data = EvalSet("val", val.X.astype(dtype), val.Y.astype(dtype), val.labels)
    loss, accuracy = evaluate(params, data)
    ref_loss, ref_accuracy = loss_and_accuracy(params, data.X, data.Y, data.labels)
    assert loss == pytest.approx(ref_loss, rel=1e-5 if dtype == "float32" else 1e-12)
    assert accuracy == ref_accuracy and 0.05 < accuracy < 0.95


def test_evaluation_kernel_breaks_ties_and_nans_like_argmax():
    X = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    W = np.array([[2.0, 2.0, 1.0], [np.nan, 0.0, 5.0]])  # row 0 ties classes 0 and 1; row 1 has a NaN
    labels = np.array([0, 0, 0])
    data = EvalSet("x", X, np.eye(3)[labels], labels)
    loss, accuracy = evaluate(Params(W), data)
    dense_loss, dense_accuracy = loss_and_accuracy(Params(W), X, data.Y, labels)
    assert accuracy == dense_accuracy == 1.0  # first maximum for the tie, first NaN otherwise
    assert np.isnan(loss) and np.isnan(dense_loss)


def test_kernel_runs_are_bit_identical_on_repeat(mnist_2000):
    train = mnist_2000[0]
    X, Y = train.X.astype(np.float32), train.Y.astype(np.float32)
    weights = []
    for _ in range(2):
        trainer = Trainer(X, Y, Params.zeros(784, 10, "float32"), 10, 0.01)
        for order in epoch_orders(seed=0, n=len(X), epochs=3):
            trainer.epoch(order)
        weights.append(trainer.params().W.tobytes())
    assert weights[0] == weights[1]


def test_trainer_given_the_evaluation_rows_trains_as_one_that_builds_its_own(mnist_2000):
    """train_run hands the NumPy trainer the rows the evaluation built (one compression per job)."""
    train = mnist_2000[0]
    weights = []
    for rows in (None, train.rows):
        trainer = Trainer(train.X, train.Y, Params.zeros(784, 10, "float64"), 100, 0.01, rows=rows)
        for order in epoch_orders(seed=0, n=len(train.X), epochs=2):
            trainer.epoch(order)
        weights.append(trainer.params().W.tobytes())
    assert weights[0] == weights[1]
    with pytest.raises(ValueError, match="rows of 2000 x 784 given for X of shape"):
        Trainer(train.X[:10], train.Y[:10], Params.zeros(784, 10, "float64"), 10, 0.01, rows=train.rows)

"""The TensorFlow and PyTorch backends reproduce the hand-coded NumPy SGD on real MNIST.

Each test trains on the same 500-image subset with the same seeded shuffles through the
same epoch loop (:func:`mnist_sgd.train.run.run`), and compares a framework with NumPy: the
per-epoch training loss (relative), the final weights (absolute), the number of updates,
and how the run ended.
"""

from __future__ import annotations

import math
import os
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # as the backend does, in case TF is imported here first

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from mnist_sgd.train.loop import fit  # noqa: E402
from mnist_sgd.train.minibatches import draw_subset  # noqa: E402
from mnist_sgd.train.run import RunSettings, load_eval_sets, train_run  # noqa: E402
from mnist_sgd.train.textbook import Params, squared_loss  # noqa: E402

N_SUBSET, BATCH, LR, EPOCHS = 500, 50, 0.01, 3
#: (loss relative tolerance, weight absolute tolerance) per dtype
TOLERANCE = {"float64": (1e-8, 1e-8), "float32": (1e-4, 1e-4)}
FRAMEWORKS = ["tensorflow", "pytorch"]


@pytest.fixture(scope="module")
def subset_sets(mnist_arrays):
    """dtype -> [train subset, val, test] eval sets, 500 training images drawn with seed 0.

    ``mnist_arrays`` is the session fixture of tests/conftest.py (real MNIST arrays).
    """
    subset = draw_subset(50_000, N_SUBSET, seed=0)
    cache: dict = {}

    def get(dtype: str):
        if dtype not in cache:
            cache[dtype] = load_eval_sets(mnist_arrays, subset, dtype)
        return cache[dtype]

    return get


def _require(backend: str) -> None:
    pytest.importorskip({"tensorflow": "tensorflow", "pytorch": "torch"}[backend])


_numpy_runs: dict = {}


def _run(backend: str, sets, *, dtype="float64", batch_size=BATCH, lr=LR, bias=False, epochs=EPOCHS):
    settings = RunSettings(backend, batch_size, lr, 0, epochs, dtype, bias)
    if backend == "numpy":  # the reference, computed once per settings
        key = (dtype, batch_size, lr, bias, epochs)
        if key not in _numpy_runs:
            _numpy_runs[key] = train_run(settings, sets)
        return _numpy_runs[key]
    return train_run(settings, sets)


def _losses(history) -> np.ndarray:
    return np.array([row["train_loss"] for row in history.rows])


def _compare(history, params, ref_history, ref_params, dtype) -> tuple[float, float]:
    """Assert agreement with the NumPy reference; return (max relative loss diff, max weight diff)."""
    loss_tol, weight_tol = TOLERANCE[dtype]
    assert history.status == ref_history.status == "ok"
    assert [r["updates"] for r in history.rows] == [r["updates"] for r in ref_history.rows]
    got, ref = _losses(history), _losses(ref_history)
    assert got.shape == ref.shape
    rel = float(np.max(np.abs(got - ref) / np.abs(ref)))
    dW = float(np.max(np.abs(params.W - ref_params.W)))
    assert params.W.shape == ref_params.W.shape == (784, 10)
    assert params.W.dtype == np.dtype(dtype)
    assert rel <= loss_tol, f"train loss differs from NumPy by {rel:.3g} (relative)"
    assert dW <= weight_tol, f"weights differ from NumPy by {dW:.3g}"
    assert (params.b is None) == (ref_params.b is None)
    if params.b is not None:
        db = float(np.max(np.abs(params.b - ref_params.b)))
        assert db <= weight_tol, f"bias differs from NumPy by {db:.3g}"
    return rel, dW


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backend", FRAMEWORKS)
def test_matches_numpy(backend, dtype, subset_sets, record_property):
    _require(backend)
    sets = subset_sets(dtype)
    history, params = _run(backend, sets, dtype=dtype)
    ref_history, ref_params = _run("numpy", sets, dtype=dtype)
    rel, dW = _compare(history, params, ref_history, ref_params, dtype)
    assert history.rows[-1]["updates"] == EPOCHS * N_SUBSET // BATCH
    assert _losses(history)[-1] < _losses(history)[0]  # it learned something
    record_property("max_rel_loss_diff", rel)
    record_property("max_abs_weight_diff", dW)
    print(f"{backend} {dtype}: max relative train-loss diff {rel:.3g}, max |dW| {dW:.3g}")


@pytest.mark.parametrize("backend", FRAMEWORKS)
def test_tail_minibatch(backend, subset_sets):
    """n = 500, B = 70: seven full minibatches and a tail of 10, i.e. 8 updates per epoch."""
    _require(backend)
    sets = subset_sets("float64")
    history, params = _run(backend, sets, batch_size=70)
    ref_history, ref_params = _run("numpy", sets, batch_size=70)
    assert [r["updates"] for r in history.rows] == [0, 8, 16, 24]
    _compare(history, params, ref_history, ref_params, "float64")


@pytest.mark.parametrize("backend", FRAMEWORKS)
def test_bias(backend, subset_sets):
    _require(backend)
    sets = subset_sets("float64")
    history, params = _run(backend, sets, bias=True)
    ref_history, ref_params = _run("numpy", sets, bias=True)
    assert params.b is not None and params.b.shape == (10,)
    _compare(history, params, ref_history, ref_params, "float64")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backend", FRAMEWORKS)
def test_diverging_lr_is_reported_not_raised(backend, dtype, subset_sets):
    """lr = 0.5 is far above 2 / lambda_max (about 0.05): the run must end as "diverged"."""
    _require(backend)
    sets = subset_sets(dtype)
    history, _ = _run(backend, sets, dtype=dtype, lr=0.5)
    ref_history, _ = _run("numpy", sets, dtype=dtype, lr=0.5)
    assert ref_history.status == "diverged"
    assert history.status == "diverged"
    assert history.diverged_epoch == ref_history.diverged_epoch
    last = history.rows[-1]["train_loss"]
    assert not math.isfinite(last) or last > 100 * history.rows[0]["train_loss"]


@pytest.mark.parametrize("backend", FRAMEWORKS)
def test_deterministic(backend, subset_sets):
    """The same run twice gives bit-identical losses and weights."""
    _require(backend)
    sets = subset_sets("float32")
    (h1, p1), (h2, p2) = _run(backend, sets, dtype="float32"), _run(backend, sets, dtype="float32")
    assert np.array_equal(_losses(h1), _losses(h2))
    assert np.array_equal(p1.W, p2.W)


def test_pytorch_autograd_variant_matches_numpy(subset_sets):
    """The PyTorch backend's autograd path (gradient by torch.autograd) gives the same run."""
    _require("pytorch")
    from mnist_sgd.train.backends.pytorch_backend import Trainer

    for bias in (False, True):
        sets = subset_sets("float64")
        params0 = Params.zeros(784, 10, "float64", bias)
        trainer = Trainer(sets[0].X, sets[0].Y, params0, 70, LR, autograd=True)
        history = fit(trainer, N_SUBSET, sets, epochs=EPOCHS, seed=0, divergence_factor=100.0)
        ref_history, ref_params = _run("numpy", sets, batch_size=70, bias=bias)
        _compare(history, trainer.params(), ref_history, ref_params, "float64")


def test_tensorflow_epoch_is_one_compiled_function(subset_sets):
    """All epochs of a TF run go through one traced (XLA-compiled) function: no retracing."""
    _require("tensorflow")
    from mnist_sgd.train.backends import tensorflow_backend

    sets = subset_sets("float32")
    trainer = tensorflow_backend.Trainer(sets[0].X, sets[0].Y, Params.zeros(784, 10), 70, LR)
    rng = np.random.default_rng(0)
    assert [trainer.epoch(rng.permutation(N_SUBSET)) for _ in range(3)] == [8, 8, 8]
    assert trainer._epoch.experimental_get_tracing_count() == 1


def test_tensorflow_loss_convention(subset_sets):
    """The TF loss is the project's 1/(2n) sum ||.||^2, i.e. 5x Keras' "mse" with 10 outputs."""
    _require("tensorflow")
    import keras

    from mnist_sgd.train.backends.tensorflow_backend import half_sum_squared_loss

    sets = subset_sets("float64")
    X, Y = sets[0].X, sets[0].Y
    params = Params(np.random.default_rng(1).normal(size=(784, 10)) * 0.01)
    S = X @ params.W
    ours = float(half_sum_squared_loss(S, Y))
    assert ours == pytest.approx(squared_loss(params, X, Y), rel=1e-12)
    assert ours == pytest.approx(5 * float(keras.losses.MeanSquaredError(dtype="float64")(Y, S)), rel=1e-12)


# ---- the frameworks as a student writes them: their own shuffling, compared statistically ----


@pytest.mark.parametrize("backend", ["keras_fit", "pytorch_loader"])
def test_idiomatic_framework_trains_the_same_model_to_the_same_quality(subset_sets, backend):
    """Keras model.fit / a PyTorch DataLoader loop on the same 500 images, lr and epochs:
    zero start (the same epoch-0 loss, 0.5), the same number of updates, other minibatches
    (so other numbers), a loss within a few percent of NumPy's after 20 epochs, a test accuracy
    within two binomial standard errors of NumPy's, and bit-identical reruns with one seed."""
    pytest.importorskip("tensorflow" if backend == "keras_fit" else "torch")
    sets = subset_sets("float32")
    (history, params), (ref, _) = (_run(b, sets, dtype="float32", epochs=20) for b in (backend, "numpy"))
    assert history.rows[0]["train_loss"] == ref.rows[0]["train_loss"] == 0.5
    assert [r["updates"] for r in history.rows] == [r["updates"] for r in ref.rows]
    losses, ref_losses = _losses(history), _losses(ref)
    assert not np.array_equal(losses, ref_losses)  # its own shuffling: not the shared order
    assert np.all(np.diff(losses[:5]) < 0) and abs(losses[-1] / ref_losses[-1] - 1) < 0.05
    acc, ref_acc = history.rows[-1]["test_accuracy"], ref.rows[-1]["test_accuracy"]
    se = math.sqrt(ref_acc * (1 - ref_acc) / len(sets[2].labels))
    assert abs(acc - ref_acc) < 2 * se, (acc, ref_acc, se)
    history2, params2 = _run(backend, sets, dtype="float32", epochs=20)
    assert np.array_equal(_losses(history2), losses) and np.array_equal(params2.W, params.W)

"""The hand-coded SGD: gradient, update rule, minibatching, the floor, determinism, divergence."""

import numpy as np
import pytest

from mnist_sgd.train.floor import least_squares_floor
from mnist_sgd.train.minibatches import draw_subset, epoch_orders, minibatches
from mnist_sgd.train.run import RunSettings, load_eval_sets, train_run
from mnist_sgd.train.textbook import Params, gradient, sgd_epoch, sgd_step, squared_loss


def random_problem(n=20, d=6, k=3, seed=0, bias=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    Y = np.eye(k)[rng.integers(0, k, n)]
    params = Params(rng.normal(size=(d, k)), rng.normal(size=k) if bias else None)
    return X, Y, params


@pytest.mark.parametrize("bias", [False, True])
def test_gradient_matches_finite_differences(bias):
    X, Y, params = random_problem(bias=bias)
    grad = gradient(params, X, Y)
    eps = 1e-6
    for name in ["W", "b"] if bias else ["W"]:
        analytic = getattr(grad, name)
        numeric = np.zeros_like(analytic)
        value = getattr(params, name)
        for idx in np.ndindex(value.shape):
            old = value[idx]
            value[idx] = old + eps
            up = squared_loss(params, X, Y)
            value[idx] = old - eps
            down = squared_loss(params, X, Y)
            value[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("bias", [False, True])
def test_full_batch_epoch_is_one_gradient_descent_step(bias):
    X, Y, params = random_problem(bias=bias)
    lr = 0.05
    R = X @ params.W + (params.b if bias else 0) - Y
    expected_W = params.W - lr * X.T @ R / len(X)
    expected_b = params.b - lr * R.mean(axis=0) if bias else None
    order = np.random.default_rng(1).permutation(len(X))
    updates = sgd_epoch(params, X, Y, order, batch_size=len(X), lr=lr)
    assert updates == 1
    np.testing.assert_allclose(params.W, expected_W, rtol=1e-12, atol=1e-14)
    if bias:
        np.testing.assert_allclose(params.b, expected_b, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("bias", [False, True])
def test_batch_size_one_makes_n_updates_in_visiting_order(bias):
    X, Y, params = random_problem(n=15, bias=bias)
    reference = params.copy()
    order = np.random.default_rng(2).permutation(len(X))
    assert sgd_epoch(params, X, Y, order, batch_size=1, lr=0.01) == 15
    for i in order:  # the textbook update, one example at a time
        r = X[i] @ reference.W + (reference.b if bias else 0) - Y[i]
        reference.W -= 0.01 * np.outer(X[i], r)
        if bias:
            reference.b -= 0.01 * r
    np.testing.assert_allclose(params.W, reference.W, rtol=1e-12, atol=1e-14)
    if bias:
        np.testing.assert_allclose(params.b, reference.b, rtol=1e-12, atol=1e-14)


def test_last_smaller_minibatch_is_used():
    X, Y, params = random_problem(n=10)
    reference = params.copy()
    order = np.random.default_rng(3).permutation(10)
    assert [len(b) for b in minibatches(order, 3)] == [3, 3, 3, 1]
    assert sgd_epoch(params, X, Y, order, batch_size=3, lr=0.1) == 4
    for batch in (order[0:3], order[3:6], order[6:9], order[9:10]):
        R = X[batch] @ reference.W - Y[batch]
        reference.W -= 0.1 * X[batch].T @ R / len(batch)
    np.testing.assert_allclose(params.W, reference.W, rtol=1e-12)


def test_sgd_step_scales_by_the_minibatch_size():
    X, Y, params = random_problem(n=4)
    before = params.W.copy()
    sgd_step(params, X, Y, lr=1.0)
    np.testing.assert_allclose(before - params.W, gradient(Params(before), X, Y).W, rtol=1e-12)


def test_epoch_orders_are_seeded_permutations():
    a = list(epoch_orders(seed=7, n=50, epochs=3))
    b = list(epoch_orders(seed=7, n=50, epochs=3))
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert all(sorted(x) == list(range(50)) for x in a)
    assert not np.array_equal(a[0], a[1])
    assert not np.array_equal(a[0], next(epoch_orders(seed=8, n=50, epochs=1)))


def test_subset_is_uniform_without_replacement_and_seeded():
    s = draw_subset(50000, 1000, seed=0)
    assert len(np.unique(s)) == 1000 and s.min() >= 0 and s.max() < 50000
    assert np.array_equal(s, draw_subset(50000, 1000, seed=0))
    assert not np.array_equal(s, draw_subset(50000, 1000, seed=1))
    assert not np.array_equal(s[:100], draw_subset(50000, 100, seed=0))  # seed derived from (seed, N')
    assert np.array_equal(draw_subset(50000, 50000, seed=3), np.arange(50000))
    with pytest.raises(ValueError, match="between 1 and the training-set size"):
        draw_subset(100, 101, seed=0)


@pytest.fixture(scope="module")
def subset_1000(mnist_arrays):
    return load_eval_sets(mnist_arrays, draw_subset(50000, 1000, seed=0), "float32")


@pytest.mark.parametrize("batch_size, lr", [(1, 0.003), (10, 0.01), (100, 0.03), (1000, 0.05)])
def test_every_epoch_loss_is_above_the_least_squares_floor(subset_1000, batch_size, lr):
    floor = least_squares_floor(subset_1000[0], subset_1000[1:])
    history, _ = train_run(RunSettings("numpy", batch_size, lr, seed=0, epochs=20), subset_1000)
    losses = np.array([r["train_loss"] for r in history.rows])
    assert history.status == "ok" and len(losses) == 21
    assert losses[0] == pytest.approx(0.5)  # zero weights, one-hot targets
    assert np.all(losses >= floor["floor_loss"]), (losses.min(), floor["floor_loss"])
    assert losses[-1] < 0.5 * losses[0]  # and it did learn
    assert history.rows[-1]["updates"] == 20 * -(-1000 // batch_size)


def test_same_seed_gives_bit_identical_metrics_and_weights(subset_1000):
    settings = RunSettings("numpy", 10, 0.01, seed=5, epochs=3)
    (h1, p1), (h2, p2) = train_run(settings, subset_1000), train_run(settings, subset_1000)
    strip = lambda rows: [{k: v for k, v in r.items() if not k.endswith("_seconds")} for r in rows]  # noqa: E731
    assert strip(h1.rows) == strip(h2.rows)
    assert p1.W.tobytes() == p2.W.tobytes()
    h3, _ = train_run(RunSettings("numpy", 10, 0.01, seed=6, epochs=3), subset_1000)
    assert strip(h3.rows) != strip(h1.rows)


@pytest.mark.parametrize("batch_size", [1, 100])
def test_reference_learning_rate_diverges_and_is_reported(subset_1000, batch_size):
    history, _ = train_run(RunSettings("numpy", batch_size, 0.5, seed=0, epochs=10), subset_1000)
    assert history.status == "diverged"
    assert history.diverged_epoch == len(history.rows) - 1 < 10
    last = history.rows[-1]["train_loss"]
    assert not np.isfinite(last) or last > 100 * 0.5


def test_largest_eigenvalue_matches_eigvalsh():
    from mnist_sgd.train.floor import largest_eigenvalue

    X, _, _ = random_problem(n=200, d=12)
    assert largest_eigenvalue(X) == pytest.approx(np.linalg.eigvalsh(X.T @ X / len(X))[-1], rel=1e-8)


def test_full_training_set_gradient_descent_bound(mnist_root):
    # measured on the 50,000 training images: the largest eigenvalue of X^T X / n is about 38.3, so GD diverges above ~0.052
    from mnist_sgd.data.dataset import load_cached_split
    from mnist_sgd.train.floor import largest_eigenvalue

    lam = largest_eigenvalue(load_cached_split(mnist_root, "train").images)
    assert round(lam, 1) == 38.3 and 0.0520 < 2 / lam < 0.0525

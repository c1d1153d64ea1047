"""The least-squares floor's solution from the normal equations against the SVD (numpy.linalg.lstsq)."""

import numpy as np
import pytest

from mnist_sgd.train.floor import least_squares_params, lstsq_solution, min_norm_solution


def one_hot_targets(n, k=4, seed=0):
    return np.eye(k)[np.random.default_rng(seed).integers(0, k, n)]


def rank_deficient(n, seed=0):
    """Columns like MNIST's pixels: all-zero ones, a rare one nonzero in two rows, a multiple of
    another column, a sum of two others, and a range of column scales."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, 12)) * rng.uniform(0.01, 1, size=12)
    X[:, [0, 7]] = 0.0
    X[:, 3] = 0.0
    X[:2, 3] = [0.004, 0.8]
    X[:, 5] = 3 * X[:, 4]
    X[:, 11] = X[:, 1] + X[:, 2]
    return X


@pytest.mark.parametrize(
    "X",
    [
        np.random.default_rng(1).normal(size=(200, 15)),  # tall, full rank
        np.random.default_rng(2).normal(size=(8, 15)),  # wide: interpolates
        rank_deficient(300),
        rank_deficient(6),  # wide and rank-deficient
    ],
    ids=["full-rank", "wide", "rank-deficient", "wide-rank-deficient"],
)
@pytest.mark.parametrize("bias", [False, True])
def test_normal_equations_give_the_minimum_norm_solution_of_lstsq(X, bias):
    Y = one_hot_targets(len(X))
    params, rank = least_squares_params(X, Y, bias)
    A = np.hstack([X, np.ones((len(X), 1))]) if bias else X
    reference, reference_rank = lstsq_solution(A, Y)
    assert rank == reference_rank
    solution = np.vstack([params.W, params.b]) if bias else params.W
    np.testing.assert_allclose(solution, reference, rtol=0, atol=1e-10 * np.abs(reference).max())
    assert not np.all(solution == reference)  # the normal equations, not the fallback


def test_rank_deficient_solution_has_no_null_space_component():
    X = rank_deficient(300)
    params, rank = least_squares_params(X, one_hot_targets(300))
    assert rank == 8  # 12 columns, 3 of them zero, 2 dependent
    assert np.all(params.W[[0, 7]] == 0.0)
    # null directions: e4 * 3 - e5 and e1 + e2 - e11; W* is orthogonal to both
    np.testing.assert_allclose(3 * params.W[4] - params.W[5], 0, atol=1e-12)
    np.testing.assert_allclose(params.W[1] + params.W[2] - params.W[11], 0, atol=1e-12)


def test_interpolates_when_there_are_fewer_examples_than_rank():
    X, Y = np.random.default_rng(3).normal(size=(10, 30)), one_hot_targets(10)
    params, rank = least_squares_params(X, Y)
    assert rank == 10
    np.testing.assert_allclose(X @ params.W, Y, atol=1e-12)


def test_all_zero_design_matrix_gives_zero_weights():
    X = np.zeros((5, 4))
    params, rank = least_squares_params(X, one_hot_targets(5))
    assert rank == 0 and np.all(params.W == 0)


def test_unclear_rank_falls_back_to_lstsq():
    # a column within 1e-6 of another: its scaled Gram eigenvalue (~1e-12) is above rounding
    # noise but too close to it to trust the normal equations with
    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 5))
    X[:, 4] = X[:, 3] + 1e-6 * rng.normal(size=100)
    Y = one_hot_targets(100)
    assert min_norm_solution(X, Y, X.T @ X) is None
    params, rank = least_squares_params(X, Y)
    reference, reference_rank = lstsq_solution(X, Y)
    assert rank == reference_rank == 5 and params.W.tobytes() == reference.tobytes()

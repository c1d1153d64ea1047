"""The closed-form least-squares optimum: the floor no SGD run's loss can go below.

The squared loss L(W, b) = 1/(2n) sum ||W^T x_i + b - y_i||^2 is convex; its minimum over
all W (d, k) and b is reached by the least-squares solution of [X 1] [W; b] = Y. We take the
minimum-norm one (the pseudo-inverse's; it interpolates when N' <= rank), computed in float64
from the normal equations: the Gram matrix X^T X, which the curvature spectrum needs anyway,
costs half a QR of X and a 784 x 784 eigendecomposition (:func:`min_norm_solution`).
``numpy.linalg.lstsq`` (an SVD of X) is the reference and the fallback.
"""

from __future__ import annotations

import numpy as np

from mnist_sgd.train.loop import EvalSet, evaluate
from mnist_sgd.train.textbook import Params

#: Scaled eigenvalues this many times above rounding noise count as rank; below the noise, as
#: null; in between the rank is unclear and the SVD decides (``numpy.linalg.lstsq``).
RANK_MARGIN = 1e4
#: Refinement steps against residuals from X: one brings X^T (X W - Y) to rounding level on MNIST.
REFINE_STEPS = 1


def lstsq_solution(A: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, int]:
    """Minimum-norm least-squares solution of A (n, d) S = Y (n, k) by SVD, and the rank of A."""
    solution, _, rank, _ = np.linalg.lstsq(A, Y, rcond=None)
    return solution, int(rank)


def min_norm_solution(A: np.ndarray, Y: np.ndarray, gram: np.ndarray) -> tuple[np.ndarray, int] | None:
    """Minimum-norm least-squares solution of A (n, d) S = Y (n, k) and the rank of A, from
    ``gram`` = A^T A (d, d); None when the rank is unclear (then use :func:`lstsq_solution`).

    X^T X of MNIST is singular (pixels that are zero in every image, rare pixels that are
    nonzero in the same few images), and its raw condition on the rest is ~1e13. So: drop
    the all-zero columns; scale the others to unit norm (the scaled Gram's condition is ~1e8);
    split its eigenvectors into null space (eigenvalues at rounding level) and range (at
    least ``RANK_MARGIN`` times above it); solve the normal equations on the range by the
    pseudo-inverse, refined against residuals computed from A; and remove the null-space
    component, which leaves A S unchanged and makes S the minimum-norm solution. A direction
    whose scaled eigenvalue is under the rounding noise counts as null, where the SVD could
    still resolve it; on MNIST the two groups lie eight orders apart (docs/performance.md).
    """
    S = np.zeros((A.shape[1], Y.shape[1]))
    diag = np.diag(gram)
    cols = np.flatnonzero(diag > 0)
    if len(cols) == 0:
        return S, 0
    scale = np.sqrt(diag[cols])
    eigenvalues, vectors = np.linalg.eigh(gram[np.ix_(cols, cols)] / np.outer(scale, scale))
    noise = len(cols) * np.finfo(np.float64).eps * eigenvalues[-1]
    in_range = eigenvalues > noise
    if np.any(in_range & (eigenvalues < RANK_MARGIN * noise)):
        return None
    # the pseudo-inverse of the Gram on the columns ``cols``: P diag(1/eigenvalues) P^T
    P = vectors[:, in_range] / scale[:, None]
    inverse_eigenvalues = 1 / eigenvalues[in_range, None]

    def solve(rhs: np.ndarray) -> np.ndarray:
        return P @ (inverse_eigenvalues * (P.T @ rhs))

    # the null space of A[:, cols] in unscaled coordinates, orthonormalised
    null_basis = np.linalg.qr(vectors[:, ~in_range] / scale[:, None])[0]

    def project(T: np.ndarray) -> np.ndarray:
        return T - null_basis @ (null_basis.T @ T)

    T = project(solve((A.T @ Y)[cols]))
    for _ in range(REFINE_STEPS):
        S[cols] = T
        T = project(T + solve((A.T @ (Y - A @ S))[cols]))
    S[cols] = T
    return S, int(in_range.sum())


def least_squares_params(
    X: np.ndarray, Y: np.ndarray, bias: bool = False, gram: np.ndarray | None = None
) -> tuple[Params, int]:
    """Minimiser of the squared loss on X (n, d), Y (n, k), in float64; also the rank of the design matrix.

    ``gram``: X^T X in float64 when the caller has it.
    """
    A = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    if gram is None:
        gram = A.T @ A
    if bias:
        column_sums = A.sum(axis=0)
        gram = np.block([[gram, column_sums[:, None]], [column_sums[None, :], np.full((1, 1), float(len(A)))]])
        A = np.hstack([A, np.ones((len(A), 1))])
    solution = min_norm_solution(A, Y, gram)
    solution, rank = solution if solution is not None else lstsq_solution(A, Y)
    if bias:
        return Params(solution[:-1], solution[-1]), rank
    return Params(solution), rank


def largest_eigenvalue(X: np.ndarray, iterations: int = 500, rtol: float = 1e-10, seed: int = 0) -> float:
    """Largest eigenvalue of X^T X / n (X (n, d)) by power iteration, in float64.

    Full-batch gradient descent on the squared loss is stable only for lr < 2 / this value.
    """
    X = np.asarray(X, dtype=np.float64)
    v = np.random.default_rng(seed).normal(size=X.shape[1])
    value = 0.0
    for _ in range(iterations):
        w = X.T @ (X @ v) / len(X)
        new = float(np.linalg.norm(w))
        v = w / new
        if abs(new - value) <= rtol * new:
            return new
        value = new
    return value


def curvature_spectrum(X: np.ndarray, gram: np.ndarray | None = None) -> np.ndarray:
    """Eigenvalues of X^T X / n (X (n, d)), descending, float64 (d,): the curvatures of the squared
    loss along its principal directions. SGD with per-example step lr/B closes the gap along a
    direction of curvature lambda roughly as exp(-lambda * epochs * n * lr/B), so the small ones
    are those a finite run leaves unfinished. ``gram``: X^T X in float64 when the caller has it."""
    if gram is None:
        X = np.asarray(X, dtype=np.float64)
        gram = X.T @ X
    return np.clip(np.linalg.eigvalsh(gram / len(X))[::-1], 0.0, None)


def least_squares_floor(train: EvalSet, others: list[EvalSet], bias: bool = False) -> dict:
    """L* on ``train`` and the accuracies of the least-squares solution on every set.

    Returns:
        {"floor_loss": L*, "rank": r, "n": n, "<set>_loss": ..., "<set>_accuracy": ...,
         "lambda_max": largest eigenvalue of X^T X / n, "gd_lr_bound": 2 / lambda_max,
         "w_norm": Frobenius norm of the minimiser W*, "mean_sq_norm": mean ||x_i||^2 (the
         curvature one example's update sees), "eigenvalues": every eigenvalue of X^T X / n}.
    """
    X = np.asarray(train.X, dtype=np.float64)
    gram = X.T @ X  # shared by the solution and the spectrum
    params, rank = least_squares_params(X, train.Y, bias, gram)
    out: dict = {"n": len(train.X), "rank": rank, "bias": bias}
    out["w_norm"] = float(np.linalg.norm(params.W))
    out["mean_sq_norm"] = float(np.mean(np.einsum("ij,ij->i", train.X, train.X, dtype=np.float64)))
    for data in [train, *others]:
        X64 = EvalSet(
            data.name, np.asarray(data.X, dtype=np.float64), np.asarray(data.Y, dtype=np.float64), data.labels
        )
        out[f"{data.name}_loss"], out[f"{data.name}_accuracy"] = evaluate(params, X64)
    out["floor_loss"] = out["train_loss"]
    out["lambda_max"] = largest_eigenvalue(train.X)
    # all-zero images: X^T X = 0, no lr makes gradient descent diverge
    out["gd_lr_bound"] = 2 / out["lambda_max"] if out["lambda_max"] > 0 else "inf"
    out["eigenvalues"] = curvature_spectrum(X, gram).tolist()
    return out

"""The closed-form least-squares optimum: the floor no SGD run's loss can go below.

The squared loss L(W, b) = 1/(2n) sum ||W^T x_i + b - y_i||^2 is convex; its minimum over
all W (d, k) and b is reached by the least-squares solution of [X 1] [W; b] = Y, computed in
float64 with ``numpy.linalg.lstsq`` (minimum-norm, so constant-zero pixels are harmless).
"""

from __future__ import annotations

import numpy as np

from mnist_sgd.train.loop import EvalSet, evaluate
from mnist_sgd.train.sgd import Params


def least_squares_params(X: np.ndarray, Y: np.ndarray, bias: bool = False) -> tuple[Params, int]:
    """Minimiser of the squared loss on X (n, d), Y (n, k), in float64; also the rank of the design matrix."""
    A = np.asarray(X, dtype=np.float64)
    if bias:
        A = np.hstack([A, np.ones((len(A), 1))])
    solution, _, rank, _ = np.linalg.lstsq(A, np.asarray(Y, dtype=np.float64), rcond=None)
    if bias:
        return Params(solution[:-1], solution[-1]), int(rank)
    return Params(solution), int(rank)


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


def curvature_spectrum(X: np.ndarray) -> np.ndarray:
    """Eigenvalues of X^T X / n (X (n, d)), descending, float64 (d,): the curvatures of the squared
    loss along its principal directions. SGD with per-example step lr/B closes the gap along a
    direction of curvature lambda roughly as exp(-lambda * epochs * n * lr/B), so the small ones
    are those a finite run leaves unfinished."""
    X = np.asarray(X, dtype=np.float64)
    return np.clip(np.linalg.eigvalsh(X.T @ X / len(X))[::-1], 0.0, None)


def least_squares_floor(train: EvalSet, others: list[EvalSet], bias: bool = False) -> dict:
    """L* on ``train`` and the accuracies of the least-squares solution on every set.

    Returns:
        {"floor_loss": L*, "rank": r, "n": n, "<set>_loss": ..., "<set>_accuracy": ...,
         "lambda_max": largest eigenvalue of X^T X / n, "gd_lr_bound": 2 / lambda_max,
         "w_norm": Frobenius norm of the minimiser W*, "mean_sq_norm": mean ||x_i||^2 (the
         curvature one example's update sees), "eigenvalues": every eigenvalue of X^T X / n}.
    """
    params, rank = least_squares_params(train.X, train.Y, bias)
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
    out["eigenvalues"] = curvature_spectrum(train.X).tolist()
    return out

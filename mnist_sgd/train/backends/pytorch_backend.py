"""The PyTorch backend: the same linear classifier as a ``torch.nn.Linear(784, 10)``.

Model: ``nn.Linear(784, 10)`` with weight and bias set to zero (``bias`` following
``params.b``), i.e. scores = X W (+ b) where the module's ``weight`` (10, 784) is W^T.

Loss: the project's convention, L = 1/(2|batch|) * sum_{i in batch} ||W^T x_i + b - y_i||^2
(not ``nn.MSELoss``, which also averages over the 10 outputs).

Update: plain SGD with the given learning rate after every minibatch. By default the
gradient is the **explicit formula**, not autograd, applied in place under
``torch.no_grad()``:

    R^T = lr/m * (W^T X_b^T + b - Y_b^T)   (10, m)     W^T <- W^T - R^T X_b     b <- b - rows sums of R^T

(one ``addmm`` for the residual and one in-place ``addmm_`` for the update, in the
``nn.Linear`` weight layout (10, 784), in which both products are fast on CPU). This is
exactly the update of :func:`mnist_sgd.train.textbook.sgd_step`; autograd would add ~50 microseconds
of graph bookkeeping per minibatch (several times the arithmetic at B = 10). With
``autograd=True`` the gradient of the loss above is instead taken by ``torch.autograd``
through ``nn.functional.linear`` (slower; used by the tests as a second independent check).

The epoch is a Python loop over ``torch.split`` of the permuted order (consecutive slices
of length B, the last one shorter), with ``index_select`` gathering each minibatch.
X and Y share memory with the NumPy arrays (``torch.from_numpy``; X is copied once when it is
read-only, as the cached images mapped from their file are: PyTorch tensors need writable
memory); arithmetic is float32 or float64 following ``X.dtype``; PyTorch runs with one
thread (``torch.set_num_threads(1)``, the jobs declare ``threads: 1``). A run is
deterministic: the same inputs give bit-identical weights.
"""

from __future__ import annotations

import numpy as np
import torch

from mnist_sgd.train.textbook import Params


def configure_threads(n: int = 1) -> None:
    """One intra-op thread; one inter-op thread if PyTorch still allows setting it."""
    torch.set_num_threads(n)
    if torch.get_num_interop_threads() != n:
        try:
            torch.set_num_interop_threads(n)
        except RuntimeError:  # only settable once, before any inter-op parallel work
            pass


configure_threads(1)


class Trainer:
    """Minibatch SGD on X (n, d), one-hot Y (n, k) with an ``nn.Linear``; ``params`` are copied."""

    def __init__(
        self, X: np.ndarray, Y: np.ndarray, params: Params, batch_size: int, lr: float, *, autograd: bool = False
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")
        dtype = np.dtype(X.dtype)
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"X must be float32 or float64, got {dtype}")
        self.np_dtype = dtype
        d, k = params.W.shape
        self.n, self.batch_size, self.lr, self.autograd = len(X), int(batch_size), float(lr), autograd
        self.X = torch.from_numpy(np.require(X, requirements=["C", "W"]))
        self.Y = torch.from_numpy(np.ascontiguousarray(Y, dtype=dtype))
        self.model = torch.nn.Linear(d, k, bias=params.b is not None, dtype=self.X.dtype)
        with torch.no_grad():
            self.model.weight.copy_(torch.from_numpy(params.W.astype(dtype).T))  # zeros in every workflow run
            if self.model.bias is not None:
                self.model.bias.copy_(torch.from_numpy(params.b.astype(dtype)))

    def epoch(self, order: np.ndarray) -> int:
        """One epoch over ``order`` (int (n,)); returns the number of updates, ceil(n / B)."""
        order = np.ascontiguousarray(order, dtype=np.int64)
        if order.shape != (self.n,):
            raise ValueError(f"order must have shape ({self.n},), got {order.shape}")
        batches = torch.split(torch.from_numpy(order), self.batch_size)
        if self.autograd:
            self._epoch_autograd(batches)
        else:
            with torch.no_grad():
                self._epoch_explicit(batches)
        return len(batches)

    def _epoch_explicit(self, batches: tuple[torch.Tensor, ...]) -> None:
        X, Y, lr = self.X, self.Y, self.lr
        Wt = self.model.weight  # (k, d) = W^T, updated in place
        b = self.model.bias
        for idx in batches:
            c = lr / len(idx)
            Xb = X.index_select(0, idx)
            # R^T = c * (W^T Xb^T - Yb^T) (+ c * b): (k, m)
            Rt = torch.addmm(Y.index_select(0, idx).t(), Wt, Xb.t(), beta=-c, alpha=c)
            if b is not None:
                Rt.add_(b.unsqueeze(1), alpha=c)
                b.sub_(Rt.sum(dim=1))
            Wt.addmm_(Rt, Xb, alpha=-1.0)  # W^T <- W^T - R^T Xb

    def _epoch_autograd(self, batches: tuple[torch.Tensor, ...]) -> None:
        X, Y, lr = self.X, self.Y, self.lr
        parameters = list(self.model.parameters())
        for idx in batches:
            Xb, Yb = X.index_select(0, idx), Y.index_select(0, idx)
            loss = (self.model(Xb) - Yb).square().sum() / (2 * len(idx))
            grads = torch.autograd.grad(loss, parameters)
            with torch.no_grad():
                for p, g in zip(parameters, grads):
                    p.sub_(g, alpha=lr)

    def params(self) -> Params:
        W = self.model.weight.detach().numpy().T.astype(self.np_dtype, order="C")  # a copy, (d, k)
        b = None if self.model.bias is None else self.model.bias.detach().numpy().astype(self.np_dtype)
        return Params(W, b)

"""PyTorch as a student writes it: a ``DataLoader`` with its own shuffling, autograd and
``torch.optim.SGD``.

The same model (``nn.Linear``, zero initialisation, bias following ``params.b``) and loss
(L = 1/(2m) sum ||W^T x_i + b - y_i||^2 per minibatch, not ``nn.MSELoss``). Unlike
:mod:`.pytorch_backend` it does **not** follow the shared minibatch order: a
``RandomSampler`` seeded with the run's seed permutes the examples every epoch, so it is
compared with NumPy statistically, not to rounding error. The sampler's permutation is cut
into minibatches by a ``BatchSampler`` and each minibatch is one fetch from the dataset
(``batch_size=None``: no per-example collation), which turns the minibatch's list of indices
into one index tensor and gathers its rows with ``index_select``: the same rows in the same
order as ``TensorDataset``'s ``tensor[list]``, without that indexing's parsing of a Python
list of ints and its slower advanced-indexing kernel (docs/performance.md).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from mnist_sgd.train.backends.pytorch_backend import configure_threads
from mnist_sgd.train.textbook import Params

#: The trainer shuffles by itself (make_trainer passes the run's seed, not an order).
OWN_SHUFFLING = True

configure_threads(1)


class MinibatchDataset(TensorDataset):
    """A ``TensorDataset`` fetched one whole minibatch at a time: ``data[indices]`` with the
    ``BatchSampler``'s list of indices gives each tensor's rows ``indices``, in that order."""

    def __getitem__(self, indices: list[int]) -> tuple[torch.Tensor, ...]:
        index = torch.from_numpy(np.array(indices, dtype=np.int64))  # a list of ints, converted at C speed
        return tuple(tensor.index_select(0, index) for tensor in self.tensors)


class Trainer:
    """One epoch of a plain DataLoader loop at a time on X (n, d), one-hot Y (n, k)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: Params, batch_size: int, lr: float, *, seed: int) -> None:
        self.dtype = np.dtype(X.dtype)
        d, k = params.W.shape
        self.n, self.batch_size = len(X), int(batch_size)
        data = MinibatchDataset(
            torch.from_numpy(np.require(X, requirements=["C", "W"])), torch.from_numpy(np.ascontiguousarray(Y))
        )
        sampler = RandomSampler(data, generator=torch.Generator().manual_seed(seed))
        self.loader = DataLoader(data, batch_size=None, sampler=BatchSampler(sampler, self.batch_size, drop_last=False))
        self.model = torch.nn.Linear(d, k, bias=params.b is not None, dtype=torch.from_numpy(X[:1]).dtype)
        with torch.no_grad():
            self.model.weight.copy_(torch.from_numpy(params.W.astype(self.dtype).T))  # zeros in every workflow run
            if self.model.bias is not None:
                self.model.bias.copy_(torch.from_numpy(params.b.astype(self.dtype)))
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)

    def epoch(self, order: np.ndarray) -> int:
        """One pass over the loader (``order`` is not used: the sampler shuffles); returns ceil(n / B)."""
        for xb, yb in self.loader:
            self.optimizer.zero_grad()
            loss = 0.5 * (self.model(xb) - yb).square().sum(dim=1).mean()
            loss.backward()
            self.optimizer.step()
        return math.ceil(self.n / self.batch_size)

    def params(self) -> Params:
        W = self.model.weight.detach().numpy().T.astype(self.dtype)
        b = None if self.model.bias is None else self.model.bias.detach().numpy().astype(self.dtype)
        return Params(np.ascontiguousarray(W), b)

"""The SGD epoch and the evaluation that the runs execute: :mod:`mnist_sgd.train.textbook`'s
textbook algorithm, compiled (Numba), one example's nonzero pixels at a time.

Why this shape: an MNIST image has about 150 nonzero pixels of 784 (19 %), and a pixel
that is zero adds nothing to the scores x^T W and changes no row of W in the update
W <- W - lr/m * x r^T. Walking only the nonzero pixels of each example does a fifth of the
dense arithmetic and reads a third of the bytes (a uint16 column index and a value per
nonzero pixel); the 784 x 10 weight matrix stays in the L1 cache, padded to 16 columns so
that one row of W is one 64-byte cache line and one AVX-512 register of float32.

The order of the floating-point operations is fixed by this source alone (no BLAS kernel
chosen at run time, no reassociation, no fused multiply-add), so a run gives the same bits
on every x86-64 CPU, at any ``--cores``. :mod:`mnist_sgd.train.textbook` is the reference the
tests hold these kernels to (1e-6 relative over 100 epochs in float64).

:func:`sgd_epoch_lockstep` and :func:`evaluate_lockstep` do the same for the K models of a grid
job at once (:mod:`mnist_sgd.train.lockstep`), each model's numbers bit for bit those of
:func:`sgd_epoch` and :func:`evaluate`.

A zero pixel is skipped, so 0 * inf is never formed: once a diverging run's weights overflow,
its scores may be inf where the dense product has NaN; the run is stopped as diverged either way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

# Numba leaves LLVM's SLP vectorizer off; it turns the 16 per-class operations on one row of
# W into vector instructions (the numbers do not change: no operation is reordered). Set
# before Numba is imported, so that it applies to the kernels compiled here.
os.environ.setdefault("NUMBA_SLP_VECTORIZE", "1")

import numba  # noqa: E402
from llvmlite import ir  # noqa: E402
from numba import types  # noqa: E402
from numba.core import cgutils  # noqa: E402
from numba.extending import intrinsic  # noqa: E402

#: Columns of the padded weight matrix: one cache line of float32; the classes must fit.
LANES = 16


@dataclass(frozen=True)
class SparseRows:
    """The nonzero entries of X (n, d), row by row (compressed sparse rows).

    Row i's nonzeros are ``values[indptr[i]:indptr[i + 1]]`` in the columns
    ``indices[indptr[i]:indptr[i + 1]]`` (increasing).
    """

    indptr: np.ndarray  # int64 (n + 1,)
    indices: np.ndarray  # uint16 (nnz,)
    values: np.ndarray  # (nnz,), the dtype of X
    n_features: int

    def __len__(self) -> int:
        return len(self.indptr) - 1


def sparse_rows(X: np.ndarray) -> SparseRows:
    """The nonzero entries of X (n, d), d <= 65,536, as :class:`SparseRows`."""
    d = X.shape[1]
    if d > np.iinfo(np.uint16).max + 1:
        raise ValueError(f"{d} features do not fit the uint16 column indices of SparseRows (at most 65,536)")
    return SparseRows(*_compress_rows(np.ascontiguousarray(X)), d)


@numba.njit(cache=True)
def _compress_rows(X):
    """(indptr, indices, values) of the nonzero entries of X (n, d): a count, then a fill."""
    n, d = X.shape
    indptr = np.zeros(n + 1, dtype=np.int64)
    for i in range(n):
        count = 0
        for j in range(d):
            count += X[i, j] != 0
        indptr[i + 1] = indptr[i] + count
    indices = np.empty(indptr[n], dtype=np.uint16)
    values = np.empty(indptr[n], dtype=X.dtype)
    for i in range(n):
        p = indptr[i]
        for j in range(d):
            if X[i, j] != 0:
                indices[p] = j
                values[p] = X[i, j]
                p += 1
    return indptr, indices, values


def padded(W: np.ndarray) -> np.ndarray:
    """W (d, k), k <= LANES, as a C-ordered (d, LANES) copy whose extra columns are zero."""
    d, k = W.shape
    if k > LANES:
        raise ValueError(f"{k} classes do not fit the {LANES} columns of the compiled kernels")
    Wp = np.zeros((d, LANES), dtype=W.dtype)
    Wp[:, :k] = W
    return Wp


@intrinsic
def _stack_array(typingctx, dtype):
    """A pointer to LANES values of ``dtype`` on the stack (kept in registers by LLVM)."""
    scalar = dtype.dtype

    def codegen(context, builder, signature, args):
        return cgutils.alloca_once(builder, context.get_value_type(scalar), size=LANES)

    return types.CPointer(scalar)(dtype), codegen


@intrinsic
def _prefetch(typingctx, array, index):
    """Ask the CPU to start loading ``array[index]`` into the cache (LLVM's prefetch; no effect on values)."""

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        pointer = cgutils.get_item_pointer(
            context, builder, array_type, context.make_array(array_type)(context, builder, args[0]), [args[1]]
        )
        i8_pointer, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        prefetch = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [i8_pointer, i32, i32, i32]), "llvm.prefetch.p0i8"
        )
        # read (0), keep in all cache levels (3), data (1)
        builder.call(prefetch, [builder.bitcast(pointer, i8_pointer), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()

    return types.void(array, types.intp), codegen


@numba.njit(inline="always")
def _prefetch_example(indptr, indices, values, i):
    """Start loading example i's nonzero pixels while the current example is computed: the
    examples come in random order, so the hardware cannot guess which memory comes next."""
    for p in range(indptr[i], indptr[i + 1], 16):  # 16 entries: at least one 64-byte line each
        _prefetch(indices, p)
        _prefetch(values, p)


@numba.njit(inline="always")
def _zeros(dtype):
    """LANES zeros of ``dtype`` in registers: the scores or the residual of one example."""
    a = numba.carray(_stack_array(dtype), LANES)
    for c in range(LANES):
        a[c] = 0
    return a


@numba.njit(inline="always")
def _scores(Wp, b, indptr, indices, values, i):
    """s = W^T x_i + b over the nonzero pixels of example i: (LANES,), in registers."""
    s = _zeros(Wp.dtype)
    for p in range(indptr[i], indptr[i + 1]):
        j, v = indices[p], values[p]
        for c in range(LANES):
            s[c] += v * Wp[j, c]
    for c in range(b.shape[0]):
        s[c] += b[c]
    return s


@numba.njit(cache=True)
def sgd_epoch(Wp, b, indptr, indices, values, Y, order, batch_size, lr):
    """One epoch of minibatch SGD over ``order``, in place; the number of updates, ceil(n / B).

    Wp: (d, LANES) padded weights; b: (k,) bias, or (0,) for none; indptr, indices, values:
    the :class:`SparseRows` of X (n, d); Y: (n, k) one-hot targets; order: int (n,) visiting
    order; batch_size: B >= 1; lr: learning rate. For each minibatch of m examples:
    r_i = (W^T x_i + b - y_i) * lr/m for every i first, then W <- W - x_i r_i^T, b <- b - r_i.
    """
    n, k = order.shape[0], Y.shape[1]
    R = np.zeros((batch_size, LANES), dtype=Wp.dtype)  # the minibatch's scaled residuals
    updates = 0
    for start in range(0, n, batch_size):
        batch = order[start : start + batch_size]
        m = batch.shape[0]
        step = Wp.dtype.type(lr / m)
        for t in range(m):  # residuals, all with the W before this update
            following = batch[t + 1] if t + 1 < m else order[min(start + m, n - 1)]
            _prefetch_example(indptr, indices, values, following)
            s = _scores(Wp, b, indptr, indices, values, batch[t])
            for c in range(k):
                R[t, c] = (s[c] - Y[batch[t], c]) * step
        for t in range(m):  # W <- W - lr/m * X_b^T R, one example at a time
            _prefetch_example(indptr, indices, values, batch[min(t + 1, m - 1)])
            r = _zeros(Wp.dtype)
            for c in range(LANES):
                r[c] = R[t, c]
            for p in range(indptr[batch[t]], indptr[batch[t] + 1]):
                j, v = indices[p], values[p]
                for c in range(LANES):
                    Wp[j, c] -= v * r[c]
            for c in range(b.shape[0]):
                b[c] -= r[c]
        updates += 1
    return updates


@numba.njit(cache=True)
def evaluate(Wp, b, indptr, indices, values, Y, labels):
    """(loss, accuracy) on n examples: L = 1/(2n) sum ||W^T x_i + b - y_i||^2 (accumulated in
    float64) and the fraction with arg max of the scores == label (the first maximum, or the
    first NaN, as ``numpy.argmax``)."""
    n, k = Y.shape
    total = 0.0
    right = 0
    for i in range(n):
        s = _scores(Wp, b, indptr, indices, values, i)
        best = 0
        for c in range(k):
            r = np.float64(s[c]) - np.float64(Y[i, c])
            total += r * r
            if s[c] > s[best] or (s[c] != s[c] and s[best] == s[best]):
                best = c
        right += best == labels[i]
    return total / (2 * n), right / n


# ---- lockstep: the K models of one grid job in one pass over the data ------------------
#
# The K models sit side by side in one (d, width) matrix, class by class: model q's class c
# is column c * K + q, so that the K models' scores of one class are adjacent (the loss,
# the residuals and the arg max then run over the models in vector instructions), and width
# is K * k rounded up to a multiple of 8 (one AVX2 register of float32; the extra columns stay
# zero). An example's nonzero pixels are read once for all K models, and the scores of all
# of them accumulate together, in blocks of columns held in registers.
# Every column is computed by the operations of sgd_epoch and evaluate above, in their
# order: the pixels of an example in increasing order, the examples in the minibatch's
# order, the bias after the pixels, all residuals of a minibatch before its updates, the
# loss summed over the classes of one example, then over the examples. Columns never mix,
# so model q's numbers are those of its solo run, bit for bit (tests/test_lockstep.py).

#: Columns of the lockstep matrix come in multiples of this (8 float32 = one AVX2 register).
LOCKSTEP_ALIGN = 8


def _column_block(size):
    """The scores and the update of ``size`` consecutive columns, held in registers."""

    @intrinsic
    def stack(typingctx, dtype):
        scalar = dtype.dtype

        def codegen(context, builder, signature, args):
            return cgutils.alloca_once(builder, context.get_value_type(scalar), size=size)

        return types.CPointer(scalar)(dtype), codegen

    @numba.njit(inline="always")
    def scores(W, first, indptr, indices, values, i, S):
        """S[first:first + size] = (X W)[i, first:first + size] over the nonzero pixels of example i."""
        s = numba.carray(stack(W.dtype), size)
        first = numba.uintp(first)  # unsigned: an index with no negative wraparound (vectorizable)
        for c in range(size):
            s[c] = 0
        for p in range(numba.uintp(indptr[i]), numba.uintp(indptr[i + 1])):
            j, v = numba.uintp(indices[p]), values[p]
            for c in range(size):
                s[c] += v * W[j, first + numba.uintp(c)]
        for c in range(size):
            S[first + numba.uintp(c)] = s[c]

    @numba.njit(inline="always")
    def update(W, first, indptr, indices, values, i, r):
        """W[:, first:first + size] -= x_i r[first:first + size]^T over the nonzero pixels of example i."""
        rr = numba.carray(stack(W.dtype), size)
        first = numba.uintp(first)
        for c in range(size):
            rr[c] = r[first + numba.uintp(c)]
        for p in range(numba.uintp(indptr[i]), numba.uintp(indptr[i + 1])):
            j, v = numba.uintp(indices[p]), values[p]
            for c in range(size):
                W[j, first + numba.uintp(c)] -= v * rr[c]

    return scores, update


#: The column blocks, by width: 8, 16, ..., 80 columns (80 float32 = 10 AVX2 registers, with
#: the broadcast pixel and a temporary within the 16 registers of AVX2).
_BLOCKS = [_column_block(size) for size in range(LOCKSTEP_ALIGN, 81, LOCKSTEP_ALIGN)]
(_s8, _u8), (_s16, _u16), (_s24, _u24), (_s32, _u32), (_s40, _u40) = _BLOCKS[:5]
(_s48, _u48), (_s56, _u56), (_s64, _u64), (_s72, _u72), (_s80, _u80) = _BLOCKS[5:]


@numba.njit(inline="always")
def _all_scores(W, b, indptr, indices, values, i, S):
    """S = W^T x_i + b for every column of W (width a multiple of 8): 80 columns at a time,
    then the rest in one block."""
    width = W.shape[1]
    first = 0
    while width - first > 80:
        _s80(W, first, indptr, indices, values, i, S)
        first += 80
    rest = width - first
    if rest == 80:
        _s80(W, first, indptr, indices, values, i, S)
    elif rest == 72:
        _s72(W, first, indptr, indices, values, i, S)
    elif rest == 64:
        _s64(W, first, indptr, indices, values, i, S)
    elif rest == 56:
        _s56(W, first, indptr, indices, values, i, S)
    elif rest == 48:
        _s48(W, first, indptr, indices, values, i, S)
    elif rest == 40:
        _s40(W, first, indptr, indices, values, i, S)
    elif rest == 32:
        _s32(W, first, indptr, indices, values, i, S)
    elif rest == 24:
        _s24(W, first, indptr, indices, values, i, S)
    elif rest == 16:
        _s16(W, first, indptr, indices, values, i, S)
    elif rest == 8:
        _s8(W, first, indptr, indices, values, i, S)
    for c in range(b.shape[0]):
        S[c] += b[c]


@numba.njit(inline="always")
def _all_updates(W, indptr, indices, values, i, r):
    """W -= x_i r^T for every column of W, in the blocks of :func:`_all_scores`."""
    width = W.shape[1]
    first = 0
    while width - first > 80:
        _u80(W, first, indptr, indices, values, i, r)
        first += 80
    rest = width - first
    if rest == 80:
        _u80(W, first, indptr, indices, values, i, r)
    elif rest == 72:
        _u72(W, first, indptr, indices, values, i, r)
    elif rest == 64:
        _u64(W, first, indptr, indices, values, i, r)
    elif rest == 56:
        _u56(W, first, indptr, indices, values, i, r)
    elif rest == 48:
        _u48(W, first, indptr, indices, values, i, r)
    elif rest == 40:
        _u40(W, first, indptr, indices, values, i, r)
    elif rest == 32:
        _u32(W, first, indptr, indices, values, i, r)
    elif rest == 24:
        _u24(W, first, indptr, indices, values, i, r)
    elif rest == 16:
        _u16(W, first, indptr, indices, values, i, r)
    elif rest == 8:
        _u8(W, first, indptr, indices, values, i, r)


@numba.njit(cache=True)
def sgd_epoch_lockstep(W, b, indptr, indices, values, Y, order, batch_size, lrs):
    """:func:`sgd_epoch` for K = len(lrs) models at once, in place; the number of updates, ceil(n / B).

    W: (d, width) the K models' weights side by side (model q's class c in column c * K + q,
    width a multiple of 8, extra columns zero); b: (width,) their biases likewise, or (0,)
    for none; lrs: float64 (K,); the other arguments as in :func:`sgd_epoch`.
    """
    n, k, K = order.shape[0], Y.shape[1], lrs.shape[0]
    width = W.shape[1]
    R = np.zeros((batch_size, width), dtype=W.dtype)  # the minibatch's scaled residuals
    S = np.zeros(width, dtype=W.dtype)
    steps = np.empty(K, dtype=W.dtype)
    updates = 0
    for start in range(0, n, batch_size):
        batch = order[start : start + batch_size]
        m = batch.shape[0]
        for q in range(K):
            steps[q] = lrs[q] / m  # rounded to the weights' dtype, as sgd_epoch's step
        for t in range(m):  # residuals, all with the W before this update
            following = batch[t + 1] if t + 1 < m else order[min(start + m, n - 1)]
            _prefetch_example(indptr, indices, values, following)
            _all_scores(W, b, indptr, indices, values, batch[t], S)
            for c in range(k):
                y = Y[batch[t], c]
                for q in range(K):
                    R[t, c * K + q] = (S[c * K + q] - y) * steps[q]
        for t in range(m):  # W <- W - lr/m * X_b^T R, one example at a time
            _prefetch_example(indptr, indices, values, batch[min(t + 1, m - 1)])
            _all_updates(W, indptr, indices, values, batch[t], R[t])
            for c in range(b.shape[0]):
                b[c] -= R[t, c]
        updates += 1
    return updates


@numba.njit(cache=True)
def evaluate_lockstep(W, b, n_models, indptr, indices, values, Y, labels):
    """:func:`evaluate` of the ``n_models`` models side by side in W (as in
    :func:`sgd_epoch_lockstep`): (losses (K,), accuracies (K,))."""
    n, k = Y.shape
    K = n_models
    S = np.zeros(W.shape[1], dtype=W.dtype)
    totals = np.zeros(K)
    right = np.zeros(K, dtype=np.int64)
    best = np.zeros(K, dtype=np.int64)
    top = np.zeros(K, dtype=W.dtype)
    for i in range(n):
        _all_scores(W, b, indptr, indices, values, i, S)
        # each model's loss sums its classes in order, as evaluate's; the K sums advance side by side
        for c in range(k):
            y = np.float64(Y[i, c])
            for q in range(K):
                r = np.float64(S[c * K + q]) - y
                totals[q] += r * r
        # the first maximum, or the first NaN: evaluate's rule, as selects, the K models side by side
        for q in range(K):
            best[q], top[q] = 0, S[q]
        for c in range(1, k):
            for q in range(K):
                s, t = S[c * K + q], top[q]
                better = (s > t) | ((s != s) & (t == t))
                best[q] = c if better else best[q]
                top[q] = s if better else t
        label = labels[i]
        for q in range(K):
            right[q] += best[q] == label
    return totals / (2 * n), right / n

"""The TensorFlow/Keras backend: the same linear classifier trained by a compiled TF loop.

Model: a Keras ``Dense(10)`` layer with zero initialisation (``use_bias`` following
``params.b``), i.e. scores = X W (+ b) with W the layer's (784, 10) kernel.

Loss: the project's convention, **not** Keras' ``"mse"`` (which also averages over the
10 outputs, i.e. is 1/10 of twice this):

    L = 1/(2|batch|) * sum_{i in batch} || W^T x_i + b - y_i ||^2

Update: plain SGD with the given learning rate after every minibatch,
``W <- W - lr * dL/dW``, ``b <- b - lr * dL/db``, where the gradient is computed by
**automatic differentiation** (``tf.GradientTape``), not by the hand-written formula, so
this backend is an independent check of :func:`mnist_sgd.train.textbook.sgd_step`.

One epoch is one call of a ``tf.function`` compiled with XLA (``jit_compile=True``): the
permuted visiting order goes in as a tensor, a ``tf.while_loop`` walks the full
minibatches (``tf.gather`` of consecutive slices of the order), then the shorter tail
minibatch, if any, is done once more after the loop. The parameters are carried through
the loop as values (the layer is evaluated with ``stateless_call`` on them) and written
back to the layer's variables once per epoch, so the sequence of updates is explicit data
flow, with no reliance on the ordering of variable side effects between loop iterations.
The kernel is carried *transposed*, as W^T (10, 784), and the layer is called on
``transpose(W^T)``: the same forward pass, the same update (the gradient with respect to
W^T is the transpose of the one with respect to W), but XLA then computes the weight
gradient as R^T X_b with X_b in its stored layout, which measured about twice as fast on
CPU as the X_b^T R it emits for the untransposed kernel.
X and Y are constant tensors created once. Arithmetic is float32 or float64 following
``X.dtype``. A run is deterministic: the same inputs give bit-identical weights.

TensorFlow runs with one intra-op and one inter-op thread (the jobs declare ``threads: 1``);
``TF_CPP_MIN_LOG_LEVEL`` is set to 2 before TensorFlow is imported to quiet its C++ start-up
messages (warnings and errors still reach the job log).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mnist_sgd.train.textbook import Params  # noqa: E402

#: XLA-compile the epoch function: the plain graph executor pays tens of microseconds of
#: per-op overhead in every loop iteration (read when a Trainer is created).
JIT_COMPILE = True


def configure_threads(n: int = 1) -> None:
    """Pin TensorFlow's intra- and inter-op thread pools to ``n`` threads.

    TensorFlow only accepts this before its runtime starts; if it has already started
    (another module used TensorFlow first) the current setting is kept.
    """
    for get, set_ in (
        (tf.config.threading.get_intra_op_parallelism_threads, tf.config.threading.set_intra_op_parallelism_threads),
        (tf.config.threading.get_inter_op_parallelism_threads, tf.config.threading.set_inter_op_parallelism_threads),
    ):
        if get() != n:
            try:
                set_(n)
            except RuntimeError:  # "... cannot be modified after initialization"
                pass


configure_threads(1)


def half_sum_squared_loss(scores: tf.Tensor, targets: tf.Tensor) -> tf.Tensor:
    """L = 1/(2m) * sum ||scores_i - targets_i||^2 over the m rows (not Keras' "mse")."""
    residual = scores - targets
    m = tf.cast(tf.shape(scores)[0], scores.dtype)
    return tf.reduce_sum(tf.square(residual)) / (2 * m)


class Trainer:
    """Minibatch SGD on X (n, d), one-hot Y (n, k) with a Keras ``Dense`` layer; ``params`` are copied."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: Params, batch_size: int, lr: float) -> None:
        import keras

        if batch_size < 1:
            raise ValueError(f"batch size must be >= 1, got {batch_size}")
        self.dtype = np.dtype(X.dtype)
        if self.dtype not in (np.float32, np.float64):
            raise ValueError(f"X must be float32 or float64, got {self.dtype}")
        d, k = params.W.shape
        self.n, self.batch_size, self.lr = len(X), int(batch_size), float(lr)
        self.bias = params.b is not None
        self.X = tf.constant(np.ascontiguousarray(X, dtype=self.dtype))
        self.Y = tf.constant(np.ascontiguousarray(Y, dtype=self.dtype))

        self.layer = keras.layers.Dense(
            k, use_bias=self.bias, kernel_initializer="zeros", bias_initializer="zeros", dtype=self.dtype.name
        )
        self.layer.build((None, d))
        # Start from the given parameters (zeros in every run of the workflow).
        self.layer.kernel.assign(params.W.astype(self.dtype))
        if self.bias:
            self.layer.bias.assign(params.b.astype(self.dtype))

        # Traced once per Trainer (the order's shape is fixed by the signature). TF's retracing
        # heuristic counts traces per Python function, not per tf.function object, so a
        # process that builds many Trainers (tests, benchmarks) logs a harmless "triggered
        # tf.function retracing" warning; a workflow job builds one.
        self._epoch = tf.function(
            self._epoch_graph, jit_compile=JIT_COMPILE, input_signature=[tf.TensorSpec([self.n], tf.int64)]
        )

    # -- the compiled epoch ------------------------------------------------------------------------
    def _step(self, theta: list[tf.Tensor], idx: tf.Tensor) -> list[tf.Tensor]:
        """One SGD update of the parameter values ``theta`` on the rows ``idx`` (gradient by autodiff)."""
        Xb = tf.gather(self.X, idx)
        Yb = tf.gather(self.Y, idx)
        with tf.GradientTape() as tape:
            tape.watch(theta)
            # theta[0] is the kernel transposed, (k, d): see the class docstring.
            scores, _ = self.layer.stateless_call([tf.transpose(theta[0]), *theta[1:]], [], Xb)
            loss = half_sum_squared_loss(scores, Yb)
        grads = tape.gradient(loss, theta)
        lr = tf.constant(self.lr, dtype=self.dtype)
        return [t - lr * g for t, g in zip(theta, grads)]

    def _epoch_graph(self, order: tf.Tensor) -> tf.Tensor:
        B, n = self.batch_size, self.n
        n_full, tail = divmod(n, B)
        variables = self.layer.trainable_variables  # [kernel] or [kernel, bias], keras' order
        theta = [tf.convert_to_tensor(v.value) for v in variables]
        theta[0] = tf.transpose(theta[0])  # carry W^T (k, d) through the loop

        def body(i, *theta):
            idx = tf.slice(order, [i * B], [B])
            return (i + 1, *self._step(list(theta), idx))

        i0 = tf.constant(0, tf.int64)
        if n_full > 0:
            _, *theta = tf.while_loop(lambda i, *_: i < n_full, body, (i0, *theta), parallel_iterations=1)
        if tail:
            theta = self._step(list(theta), order[n_full * B :])
        theta[0] = tf.transpose(theta[0])
        for v, t in zip(variables, theta):
            v.assign(t)
        return tf.constant(n_full + (1 if tail else 0), tf.int64)

    # -- the Trainer protocol ----------------------------------------------------------------------
    def epoch(self, order: np.ndarray) -> int:
        """One epoch over ``order`` (int (n,)); returns the number of updates, ceil(n / B)."""
        order = np.asarray(order, dtype=np.int64)
        if order.shape != (self.n,):
            raise ValueError(f"order must have shape ({self.n},), got {order.shape}")
        return int(self._epoch(tf.constant(order)))

    def params(self) -> Params:
        W = np.array(self.layer.kernel.numpy(), dtype=self.dtype)
        b = np.array(self.layer.bias.numpy(), dtype=self.dtype) if self.bias else None
        return Params(W, b)

"""Keras as a student writes it: ``model.compile`` + ``model.fit``, Keras' own shuffling.

The same model (``Dense(10)``, zero initialisation, bias following ``params.b``), the same
loss (L = 1/(2m) sum ||W^T x_i + b - y_i||^2 per minibatch: half the squared error summed
over the 10 outputs, averaged over the examples, not Keras' ``"mse"``) and plain
``keras.optimizers.SGD(lr)``. Unlike :mod:`.tensorflow_backend` it does **not** follow the
shared minibatch order: ``fit(shuffle=True)`` permutes the examples with Keras' global seed
(``keras.utils.set_random_seed(seed)``), so it is compared with NumPy statistically (final
accuracies and their intervals, loss curves), not to rounding error. With that seed set the
permutation is the **same at every epoch**: each ``fit`` call (and each epoch of one ``fit``)
starts a new ``tf.data`` iterator whose ``tf.random.shuffle`` runs from the same op seeds,
so every epoch visits the same minibatches in the same order; :mod:`.pytorch_loader_backend`'s
sampler draws a new permutation every epoch.

Compiled execution (``jit_compile=True``) and ``steps_per_execution`` (many minibatches per
call into the compiled function) are Keras' own options for speed; as usually written
(neither) ``fit`` costs several times more per epoch here. Gradients: autodiff.
"""

from __future__ import annotations

import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from mnist_sgd.train.backends.tensorflow_backend import configure_threads  # noqa: E402
from mnist_sgd.train.textbook import Params  # noqa: E402

#: The trainer shuffles by itself (make_trainer passes the run's seed, not an order).
OWN_SHUFFLING = True
#: Minibatches per call of the compiled training function.
STEPS_PER_EXECUTION = 100

configure_threads(1)


def half_squared_error(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
    """Per-example loss 1/2 ||y_pred - y_true||^2 (Keras averages it over the minibatch)."""
    return 0.5 * tf.reduce_sum(tf.square(y_pred - y_true), axis=-1)


class Trainer:
    """``model.fit`` for one epoch at a time on X (n, d), one-hot Y (n, k)."""

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: Params, batch_size: int, lr: float, *, seed: int) -> None:
        keras.utils.set_random_seed(seed)
        self.dtype = np.dtype(X.dtype)
        d, k = params.W.shape
        self.n, self.batch_size = len(X), int(batch_size)
        # tensors made once: given NumPy arrays, every fit() call would convert all of X again
        # (measured 0.45 s against 0.28 s per epoch at B = 100 on the 50,000 images)
        self.X = tf.constant(np.ascontiguousarray(X))
        self.Y = tf.constant(np.ascontiguousarray(Y, dtype=self.dtype))
        self.bias = params.b is not None
        layer = keras.layers.Dense(k, use_bias=self.bias, kernel_initializer="zeros", dtype=self.dtype.name)
        self.model = keras.Sequential([keras.Input((d,), dtype=self.dtype.name), layer])
        layer.kernel.assign(params.W.astype(self.dtype))  # zeros in every workflow run
        if self.bias:
            layer.bias.assign(params.b.astype(self.dtype))
        self.model.compile(
            optimizer=keras.optimizers.SGD(learning_rate=lr),
            loss=half_squared_error,
            jit_compile=True,
            steps_per_execution=STEPS_PER_EXECUTION,
        )

    def epoch(self, order: np.ndarray) -> int:
        """One epoch of ``fit`` (``order`` is not used: Keras shuffles); returns ceil(n / B)."""
        self.model.fit(self.X, self.Y, batch_size=self.batch_size, epochs=1, shuffle=True, verbose=0)
        return math.ceil(self.n / self.batch_size)

    def params(self) -> Params:
        layer = self.model.layers[-1]
        W = np.array(layer.kernel.numpy(), dtype=self.dtype)
        return Params(W, np.array(layer.bias.numpy(), dtype=self.dtype) if self.bias else None)

"""The kernels as they were before issue 12 (commit 8566a69), kept verbatim so that
``perf.bench_sgd`` times old and new side by side in one process.

Not used by the workflow. ``sgd_epoch`` is still the package's own (unchanged); only the
evaluation changed, so only the old evaluation is copied here.
"""

from __future__ import annotations

import numpy as np

from mnist_sgd.train.loop import EvalSet
from mnist_sgd.train.sgd import Params, loss_of_scores, scores


def evaluate_before(params: Params, data: EvalSet) -> tuple[float, float]:
    """(loss, accuracy) as computed before issue 12: X W with W (d, 10) unpadded."""
    with np.errstate(all="ignore"):
        S = scores(params, data.X)
        loss = loss_of_scores(S, data.Y)
        accuracy = float(np.mean(S.argmax(axis=1) == data.labels))
    return loss, accuracy

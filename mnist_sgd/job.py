"""What every rule script does around its work: pin the BLAS threads, send its output to the log.

Nothing here imports NumPy, so :func:`limit_threads` can run before NumPy loads.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

#: Environment variables that set the thread count of the BLAS and OpenMP libraries.
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads(n: int) -> None:
    """Let BLAS use ``n`` threads (a job's ``threads:``); call before NumPy is imported."""
    if "numpy" in sys.modules:
        raise RuntimeError("limit_threads must run before numpy is imported")
    for var in THREAD_VARIABLES:
        os.environ[var] = str(n)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up chatter


@contextlib.contextmanager
def output_to_log(log_path: str | Path) -> Iterator[None]:
    """Redirect file descriptors 1 and 2 (Python's and C libraries' output) to ``log_path``.

    TensorFlow and BLAS write from C code straight to the descriptors, so rebinding
    ``sys.stdout`` is not enough. An exception's traceback is written to the log before
    the descriptors are restored, and the exception propagates so that the job fails.
    """
    log_path = Path(log_path)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with open(log_path, "a") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        except BaseException:
            import traceback

            traceback.print_exc()
            raise
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])

"""Write job outputs atomically: a temporary file in the destination folder, then a rename.

A job that fails half-way therefore never leaves a truncated output that a later run
would trust.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
from pathlib import Path

import numpy as np


def write_atomically(data: bytes, dest: str | Path) -> None:
    """Write ``data`` to ``dest`` via a temporary file in the same folder and a rename."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(obj, dest: str | Path) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    write_atomically((json.dumps(obj, indent=2) + "\n").encode(), Path(dest))


def write_npy(array: np.ndarray, dest: str | Path) -> str:
    """Save ``array`` as .npy (no pickles), atomically; return the file's SHA-256."""
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    data = buffer.getvalue()
    write_atomically(data, Path(dest))
    return hashlib.sha256(data).hexdigest()

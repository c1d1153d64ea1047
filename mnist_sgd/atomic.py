"""Write job outputs atomically: a temporary file in the destination folder, then a rename.

A job that fails half-way therefore never leaves a truncated output that a later run
would trust: on an error (disk full, a file-size limit, a read-only folder) the temporary
file is removed and the destination is absent (or still holds its previous, complete
content). A job killed outright (SIGKILL) cannot remove its temporary file; the next write of
the same destination does.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np

#: Suffix of the temporary files: ``.<name>.<8 random characters>.part`` (tempfile.mkstemp).
TEMP_SUFFIX = ".part"


class OutputWriteError(OSError):
    """An output that could not be written (its errno kept); nothing was left at the destination."""


def temporaries_of(dest: str | Path) -> list[Path]:
    """Temporary files of ``dest`` left in its folder by a writer that was killed."""
    dest = Path(dest)
    pattern = re.compile(rf"\.{re.escape(dest.name)}\.[a-z0-9_]{{8}}{re.escape(TEMP_SUFFIX)}")
    if not dest.parent.is_dir():
        return []
    return sorted(p for p in dest.parent.iterdir() if pattern.fullmatch(p.name))


def write_atomically(data: bytes, dest: str | Path) -> None:
    """Write ``data`` to ``dest`` via a temporary file in the same folder and a rename.

    Raises:
        OutputWriteError: the folder or the file could not be written; the message names the
            file, the reason and the fix. No temporary file is left behind.
    """
    dest = Path(dest)
    tmp = None
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        for stale in temporaries_of(dest):  # left by a killed writer of the same file
            stale.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=TEMP_SUFFIX)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the usual permissions
        os.replace(tmp, dest)
    except OSError as err:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        raise OutputWriteError(
            err.errno,
            f"could not write {dest} ({len(data)} bytes): {err.strerror or err}. Nothing was written there. "
            "Fix: free disk space, raise the file-size limit (ulimit -f) or make the folder writable, then rerun.",
        ) from err
    except BaseException:
        if tmp is not None:
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

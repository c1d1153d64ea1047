"""Parse MNIST IDX files (http://yann.lecun.com/exdb/mnist/ format description).

An IDX file is a big-endian header -- two zero bytes, a type code, the number of
dimensions -- followed by one 32-bit size per dimension and the raw data. MNIST uses
type 0x08 (unsigned byte): magic 2049 for label files (1 dimension) and 2051 for image
files (3 dimensions: count, rows, columns).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

LABELS_MAGIC = 2049
IMAGES_MAGIC = 2051


class IdxFormatError(ValueError):
    """An IDX file whose header or size does not match what MNIST requires."""


def parse_idx(data: bytes, *, expected_magic: int, name: str = "<bytes>") -> np.ndarray:
    """Parse the uncompressed bytes of an IDX file of unsigned bytes.

    Args:
        data: the whole file content.
        expected_magic: ``LABELS_MAGIC`` or ``IMAGES_MAGIC``.
        name: used in error messages only.

    Returns:
        uint8 array of shape (count,) for labels or (count, rows, cols) for images.

    Raises:
        IdxFormatError: wrong magic number, truncated or oversized payload.
    """
    ndim = 1 if expected_magic == LABELS_MAGIC else 3
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise IdxFormatError(
            f"{name}: file is {len(data)} bytes, shorter than the {header_size}-byte IDX "
            "header; the download is truncated or not an IDX file (delete it and rerun)"
        )
    (magic,) = struct.unpack(">i", data[:4])
    if magic != expected_magic:
        raise IdxFormatError(
            f"{name}: magic number {magic} (0x{magic & 0xFFFFFFFF:08x}), expected {expected_magic}; "
            "not an uncompressed MNIST "
            + ("label" if expected_magic == LABELS_MAGIC else "image")
            + " file (was it still gzip-compressed, or is it the wrong file?)"
        )
    dims = struct.unpack(f">{ndim}i", data[4:header_size])
    if any(d <= 0 for d in dims):
        raise IdxFormatError(f"{name}: non-positive dimension in header {dims}")
    expected = header_size + int(np.prod(dims))
    if len(data) != expected:
        problem = "truncated" if len(data) < expected else "has trailing bytes"
        raise IdxFormatError(
            f"{name}: header declares dimensions {dims} = {expected} bytes in all, "
            f"but the file is {len(data)} bytes ({problem}); delete it and rerun the download"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(dims)


def read_idx(path: str | Path, *, expected_magic: int) -> np.ndarray:
    """Read and parse an uncompressed IDX file; see :func:`parse_idx`."""
    path = Path(path)
    return parse_idx(path.read_bytes(), expected_magic=expected_magic, name=str(path))


def read_mnist_pair(images_path: str | Path, labels_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read an images/labels IDX pair and check they describe the same examples.

    Returns:
        images: uint8 (n, 28, 28); labels: uint8 (n,) with values in 0..9.
    """
    images = read_idx(images_path, expected_magic=IMAGES_MAGIC)
    labels = read_idx(labels_path, expected_magic=LABELS_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise IdxFormatError(
            f"{images_path} holds {images.shape[0]} images but {labels_path} holds "
            f"{labels.shape[0]} labels; the two files do not belong together"
        )
    if images.shape[1:] != (28, 28):
        raise IdxFormatError(f"{images_path}: images are {images.shape[1:]}, MNIST images are (28, 28)")
    if labels.size and labels.max() > 9:
        raise IdxFormatError(f"{labels_path}: label {int(labels.max())} outside 0..9")
    return images, labels

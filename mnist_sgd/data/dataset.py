"""Build and load the cached MNIST arrays every training job reads.

Splits (as in the assignment): *train* = the first ``n_train`` (50,000) training images,
*val* = the next ``n_val`` (10,000), *test* = the 10,000 test images. Images are flattened
to 784-vectors and scaled to [0, 1] (float32, divided by 255); labels are uint8 in 0..9.
Each array is one ``.npy`` file, loaded with ``allow_pickle=False``, plus a manifest with
shapes, dtypes, label counts, source checksums and each array's SHA-256 (paths:
:mod:`mnist_sgd.layout`). Every job that reads the arrays checks them against the manifest
first (:func:`verify_arrays`), so an array changed on disk after it was built -- a flipped
byte, a truncated file -- stops the job with the file's name and the fix, instead of
silently changing its numbers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_sgd import layout
from mnist_sgd.atomic import write_json, write_npy
from mnist_sgd.data.download import MNIST_SHA256
from mnist_sgd.data.idx import read_mnist_pair

SPLITS = layout.SPLITS
N_CLASSES = 10

#: Published facts about the canonical MNIST files the built arrays are checked against: the
#: examples per class 0..9 of the 60,000 training and 10,000 test images, and the mean and
#: standard deviation of all training pixels scaled to [0, 1] (the constants of the usual
#: ``Normalize((0.1307,), (0.3081,))``).
TRAIN_LABEL_COUNTS = (5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949)
TEST_LABEL_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
PIXEL_MEAN, PIXEL_STD = 0.1307, 0.3081


class DatasetCheckError(ValueError):
    """Parsed MNIST arrays that disagree with the published facts."""


class CorruptCacheError(ValueError):
    """A cached MNIST file whose bytes are not those recorded when it was made."""


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def check_idx_files(idx: dict[str, Path]) -> dict[str, str]:
    """The SHA-256 of each MNIST IDX file, checked against the pinned one; {name: digest}.

    Raises:
        CorruptCacheError: a file under resources/ changed after its verified download.
    """
    digests = {}
    for name, path in sorted(idx.items()):
        digests[name] = _sha256_of(path)
        if name in MNIST_SHA256 and digests[name] != MNIST_SHA256[name]:
            raise CorruptCacheError(
                f"{path}: SHA-256 {digests[name]}, but the verified MNIST file has {MNIST_SHA256[name]}: "
                f"it changed on disk after it was downloaded. Fix: delete {path} and rerun snakemake "
                "(rule download_mnist fetches it again)."
            )
    return digests


@dataclass(frozen=True)
class Split:
    """One split: ``images`` float (n, 784) in [0, 1], ``labels`` uint8 (n,)."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)


def label_counts(labels: np.ndarray) -> list[int]:
    """Number of examples per class 0..9."""
    return np.bincount(labels, minlength=N_CLASSES).tolist()


def flatten_and_scale(images: np.ndarray) -> np.ndarray:
    """uint8 (n, 28, 28) -> float32 (n, 784) in [0, 1] (pixel / 255)."""
    return (images.reshape(len(images), -1).astype(np.float32) / np.float32(255.0)).astype(np.float32)


def check_published_facts(train_labels: np.ndarray, test_labels: np.ndarray, train_images_scaled: np.ndarray) -> dict:
    """Check label counts and pixel statistics against the published facts; return the measured values."""
    got_train, got_test = label_counts(train_labels), label_counts(test_labels)
    if tuple(got_train) != TRAIN_LABEL_COUNTS or tuple(got_test) != TEST_LABEL_COUNTS:
        raise DatasetCheckError(
            f"label counts train={got_train} test={got_test} differ from the published "
            f"train={list(TRAIN_LABEL_COUNTS)} test={list(TEST_LABEL_COUNTS)}: these are not the canonical MNIST files"
        )
    mean = float(train_images_scaled.mean(dtype=np.float64))
    std = float(train_images_scaled.std(dtype=np.float64))
    if round(mean, 4) != PIXEL_MEAN or round(std, 4) != PIXEL_STD:
        raise DatasetCheckError(f"pixel mean/std {mean:.5f}/{std:.5f}, expected {PIXEL_MEAN}/{PIXEL_STD}")
    return {"pixel_mean": mean, "pixel_std": std}


def build_arrays(
    idx_files: dict[str, str | Path],
    arrays: dict[tuple[str, str], str | Path],
    manifest_path: str | Path,
    n_train: int = 50_000,
    n_val: int = 10_000,
) -> dict:
    """Parse the four MNIST IDX files into the cached arrays and their manifest.

    Args:
        idx_files: {MNIST file name (e.g. "train-images-idx3-ubyte"): path}.
        arrays: {(split, "images" | "labels"): destination .npy} for every split of :data:`SPLITS`.
        manifest_path: written last, so a manifest means a complete cache.

    Returns:
        the manifest (dict).
    """
    idx = {name: Path(path) for name, path in idx_files.items()}
    check_idx_files(idx)  # before parsing: a changed file is named as such, not as a format error
    train_images, train_labels = read_mnist_pair(idx["train-images-idx3-ubyte"], idx["train-labels-idx1-ubyte"])
    test_images, test_labels = read_mnist_pair(idx["t10k-images-idx3-ubyte"], idx["t10k-labels-idx1-ubyte"])
    if n_train + n_val > len(train_labels):
        raise ValueError(
            f"data.n_train + data.n_val = {n_train + n_val} exceeds the {len(train_labels)} MNIST training images"
        )
    train_scaled = flatten_and_scale(train_images)
    stats = check_published_facts(train_labels, test_labels, train_scaled)
    splits = {
        "train": (train_scaled[:n_train], train_labels[:n_train]),
        "val": (train_scaled[n_train : n_train + n_val], train_labels[n_train : n_train + n_val]),
        "test": (flatten_and_scale(test_images), test_labels),
    }
    manifest: dict = {"splits": {}, "source_sha256": check_idx_files(idx), **stats}
    for split, (images, labels) in splits.items():
        manifest["splits"][split] = {
            kind: {
                "shape": list(a.shape),
                "dtype": str(a.dtype),
                "sha256": write_npy(np.ascontiguousarray(a), arrays[(split, kind)]),
            }
            for kind, a in (("images", images), ("labels", labels))
        }
        manifest["splits"][split]["label_counts"] = label_counts(labels)
    write_json(manifest, manifest_path)
    return manifest


def load_split(images_path: str | Path, labels_path: str | Path, dtype: str | None = "float32") -> Split:
    """Load one cached split; images converted to ``dtype`` ("float32" or "float64"; None: the
    file's own, float32).

    Images in the file's dtype are mapped read-only from the file instead of copied: no 157 MB
    allocation and copy per training job, only the page cache's pages.
    """
    mapped = np.load(images_path, allow_pickle=False, mmap_mode="r")
    images = np.asarray(mapped)  # a plain ndarray view of the mapped file
    if dtype is not None:
        images = images.astype(dtype, copy=False)  # a copy in another dtype
    labels = np.load(labels_path, allow_pickle=False)
    return Split(images=images, labels=labels)


def verify_arrays(arrays: Mapping[tuple[str, str], str | Path], manifest_path: str | Path) -> None:
    """Check every cached array against the SHA-256 the manifest recorded when it was built.

    Costs one read and hash of each file (about 220 MB for the default split: a fraction of a
    second, measured in tests/test_faults.py); every job that reads the arrays calls it first.

    Raises:
        CorruptCacheError: naming each changed file, what differs, and the fix.
    """
    manifest_path = Path(manifest_path)
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError) as err:
        raise CorruptCacheError(
            f"{manifest_path}: unreadable ({err}). Fix: delete {manifest_path.parent}/ and rerun snakemake."
        ) from err
    bad = []
    for (split, kind), path in sorted(arrays.items()):
        path = Path(path)
        try:
            expected = manifest["splits"][split][kind]["sha256"]
        except KeyError:
            bad.append(f"  {path}: not in {manifest_path}")
            continue
        if not path.is_file():
            bad.append(f"  {path}: missing")
            continue
        digest = _sha256_of(path)
        if digest != expected:
            bad.append(f"  {path}: {path.stat().st_size} bytes with SHA-256 {digest}, recorded {expected}")
    if bad:
        folder = manifest_path.parent
        listing = "\n".join(bad)
        raise CorruptCacheError(
            "cached MNIST arrays changed on disk after rule build_arrays wrote them (corrupted, truncated "
            f"or edited); training on them would give wrong numbers:\n{listing}\n"
            f"Fix: delete {folder}/ and rerun snakemake: rule build_arrays rebuilds it from the verified "
            "MNIST files (and the jobs that read it run again)."
        )


def arrays_of(named: Mapping[str, str | Path]) -> dict[tuple[str, str], Path]:
    """The cached arrays among a rule's named inputs or outputs: {(split, kind): path}."""
    return {(s, k): Path(named[layout.array_input(s, k)]) for s in SPLITS for k in layout.ARRAY_KINDS}


def load_cached_split(root: str | Path, split: str, dtype: str = "float32") -> Split:
    """One split of the workflow's cache under ``root`` (a workflow's working directory)."""
    root = Path(root)
    return load_split(root / layout.array(split, "images"), root / layout.array(split, "labels"), dtype)


def one_hot(labels: np.ndarray, dtype: str | np.dtype = "float32") -> np.ndarray:
    """uint (n,) labels -> (n, 10) one-hot targets in ``dtype``."""
    targets = np.zeros((len(labels), N_CLASSES), dtype=dtype)
    targets[np.arange(len(labels)), labels] = 1
    return targets

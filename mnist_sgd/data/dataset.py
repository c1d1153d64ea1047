"""Build and load the cached MNIST arrays every training job reads.

Splits (as in the assignment): *train* = the first ``n_train`` (50,000) training images,
*val* = the next ``n_val`` (10,000), *test* = the 10,000 test images. Images are flattened
to 784-vectors and scaled to [0, 1] (float32, divided by 255); labels are uint8 in 0..9.
Each array is one ``.npy`` file, loaded with ``allow_pickle=False``, plus a manifest with
shapes, dtypes, label counts and source checksums (paths: :mod:`mnist_sgd.layout`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_sgd import layout
from mnist_sgd.atomic import write_json, write_npy
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
    manifest: dict = {"splits": {}, "source_sha256": {}, **stats}
    for name in sorted(idx):
        manifest["source_sha256"][name] = hashlib.sha256(idx[name].read_bytes()).hexdigest()
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


def load_split(images_path: str | Path, labels_path: str | Path, dtype: str = "float32") -> Split:
    """Load one cached split; images converted to ``dtype`` ("float32" or "float64")."""
    images = np.load(images_path, allow_pickle=False).astype(dtype, copy=False)
    labels = np.load(labels_path, allow_pickle=False)
    return Split(images=images, labels=labels)


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

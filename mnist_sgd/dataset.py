"""Build and load the cached MNIST arrays every training job reads.

Splits (as in the assignment): *train* = the first ``n_train`` (50,000) training images,
*val* = the next ``n_val`` (10,000), *test* = the 10,000 test images. Images are flattened
to 784-vectors and scaled to [0, 1] (float32, divided by 255); labels are uint8 in 0..9.
Each array is one ``.npy`` file, loaded with ``allow_pickle=False`` (and memory-mapped on
request), plus a ``manifest.json`` with shapes, dtypes, label counts and source checksums.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_sgd.atomic import write_json, write_npy
from mnist_sgd.idx import read_mnist_pair

SPLITS = ("train", "val", "test")
N_CLASSES = 10
N_PIXELS = 784

#: Published facts (ASSIGNMENT.md) the built arrays are checked against.
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
    """Check label counts and pixel statistics against ASSIGNMENT.md; return the measured values."""
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


def build_arrays(idx_dir: Path, out_dir: Path, n_train: int = 50_000, n_val: int = 10_000) -> dict:
    """Parse the four IDX files in ``idx_dir`` into ``out_dir/{split}_{images,labels}.npy``.

    Writes ``out_dir/manifest.json`` last, so a manifest means a complete cache.

    Returns:
        the manifest (dict).
    """
    idx_dir, out_dir = Path(idx_dir), Path(out_dir)
    train_images, train_labels = read_mnist_pair(idx_dir / "train-images-idx3-ubyte", idx_dir / "train-labels-idx1-ubyte")
    test_images, test_labels = read_mnist_pair(idx_dir / "t10k-images-idx3-ubyte", idx_dir / "t10k-labels-idx1-ubyte")
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
    for name in sorted(p.name for p in idx_dir.iterdir() if p.name.endswith("-ubyte")):
        manifest["source_sha256"][name] = hashlib.sha256((idx_dir / name).read_bytes()).hexdigest()
    for split, (images, labels) in splits.items():
        manifest["splits"][split] = {
            "images": {"shape": list(images.shape), "dtype": str(images.dtype),
                       "sha256": write_npy(np.ascontiguousarray(images), out_dir / f"{split}_images.npy")},
            "labels": {"shape": list(labels.shape), "dtype": str(labels.dtype),
                       "sha256": write_npy(np.ascontiguousarray(labels), out_dir / f"{split}_labels.npy")},
            "label_counts": label_counts(labels),
        }
    write_json(manifest, out_dir / "manifest.json")
    return manifest


def load_split(data_dir: Path, split: str, *, dtype: str = "float32", mmap: bool = False) -> Split:
    """Load one cached split; images converted to ``dtype`` ("float32" or "float64")."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {SPLITS}")
    data_dir = Path(data_dir)
    images = np.load(data_dir / f"{split}_images.npy", allow_pickle=False, mmap_mode="r" if mmap else None)
    labels = np.load(data_dir / f"{split}_labels.npy", allow_pickle=False)
    if not mmap:
        images = images.astype(dtype, copy=False)
    return Split(images=images, labels=labels)


def one_hot(labels: np.ndarray, dtype: str | np.dtype = "float32") -> np.ndarray:
    """uint (n,) labels -> (n, 10) one-hot targets in ``dtype``."""
    targets = np.zeros((len(labels), N_CLASSES), dtype=dtype)
    targets[np.arange(len(labels)), labels] = 1
    return targets

"""The cached arrays built from the real MNIST files (local mirror) match the published facts."""

import json

import numpy as np

from mnist_sgd import layout
from mnist_sgd.data.dataset import TEST_LABEL_COUNTS, TRAIN_LABEL_COUNTS, load_cached_split, one_hot


def test_arrays_have_published_label_counts_and_pixel_stats(mnist_root):
    manifest = json.loads((mnist_root / layout.data_manifest()).read_text())
    train, val, test = (load_cached_split(mnist_root, s) for s in ("train", "val", "test"))
    assert train.images.shape == (50000, 784) and val.images.shape == (10000, 784) and test.images.shape == (10000, 784)
    assert train.images.dtype == np.float32 and train.labels.dtype == np.uint8
    # all 60,000 training labels = train + val splits
    counts = np.bincount(np.concatenate([train.labels, val.labels]), minlength=10)
    assert tuple(counts) == TRAIN_LABEL_COUNTS
    assert tuple(np.bincount(test.labels, minlength=10)) == TEST_LABEL_COUNTS
    pixels = np.concatenate([train.images, val.images])
    assert round(float(pixels.mean(dtype=np.float64)), 4) == 0.1307
    assert round(float(pixels.std(dtype=np.float64)), 4) == 0.3081
    assert pixels.min() == 0.0 and pixels.max() == 1.0
    assert manifest["splits"]["train"]["label_counts"] == np.bincount(train.labels, minlength=10).tolist()
    assert manifest["source_sha256"]["train-images-idx3-ubyte"].startswith("ba891046e650")


def test_split_boundaries_follow_the_assignment(mnist_root):
    # validation = training images 50,000..59,999: its first image is not the train split's
    train, val = load_cached_split(mnist_root, "train"), load_cached_split(mnist_root, "val")
    assert train.labels[:5].tolist() == [5, 0, 4, 1, 9]  # the well-known first MNIST labels
    assert not np.array_equal(train.images[-1], val.images[0])


def test_one_hot():
    Y = one_hot(np.array([3, 0, 9], dtype=np.uint8), "float64")
    assert Y.shape == (3, 10) and Y.dtype == np.float64
    assert Y.sum() == 3 and Y[0, 3] == Y[1, 0] == Y[2, 9] == 1

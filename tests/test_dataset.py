"""The cached arrays built from the real MNIST files (local mirror) match the published facts;
a cached file changed after it was made is detected before anything uses it."""

import json
import time

import numpy as np
import pytest

from mnist_sgd import layout
from mnist_sgd.data.dataset import (
    TEST_LABEL_COUNTS,
    TRAIN_LABEL_COUNTS,
    CorruptCacheError,
    build_arrays,
    load_cached_split,
    one_hot,
    verify_arrays,
)
from mnist_sgd.data.download import MNIST_SHA256
from mnist_sgd.train.run import load_eval_sets


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


# ---- corrupted cache: every job checks the arrays against the manifest first ---------------


def damaged_copy(mnist_arrays, tmp_path, split, kind, damage):
    """The cache's arrays with one of them replaced by a damaged copy (the others untouched)."""
    arrays = dict(mnist_arrays)
    copy = tmp_path / f"{split}_{kind}.npy"
    data = bytearray(mnist_arrays[(split, kind)].read_bytes())
    copy.write_bytes(damage(data))
    arrays[(split, kind)] = copy
    return arrays, copy


def flip_one_bit(data: bytearray) -> bytes:
    data[len(data) - 7] ^= 0x04  # a pixel near the end: a valid float32 still, only the hash can tell
    return bytes(data)


@pytest.mark.parametrize(
    "split, kind, damage",
    [
        ("train", "images", flip_one_bit),
        ("test", "labels", flip_one_bit),  # a label changed from one digit to another
        ("val", "images", lambda data: bytes(data[: len(data) // 3])),  # truncated
        ("val", "labels", lambda data: bytes(data) + b"\x00"),  # a byte appended
        ("test", "images", lambda data: b""),  # emptied
    ],
)
def test_a_changed_array_is_named_with_the_fix_before_anything_trains(mnist_root, mnist_arrays, tmp_path, split, kind, damage):  # fmt: skip
    arrays, copy = damaged_copy(mnist_arrays, tmp_path, split, kind, damage)
    manifest = mnist_root / layout.data_manifest()
    with pytest.raises(CorruptCacheError) as err:
        load_eval_sets(arrays, np.arange(100), "float32", manifest)
    message = str(err.value)
    assert f"{copy}: {copy.stat().st_size} bytes with SHA-256 " in message
    assert sum(str(p) in message for p in arrays.values()) == 1  # only the changed file is named
    assert f"Fix: delete {manifest.parent}/ and rerun snakemake" in message


def test_an_unreadable_manifest_is_named(mnist_arrays, tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"splits": ')
    with pytest.raises(CorruptCacheError, match=f"{manifest}: unreadable"):
        verify_arrays(mnist_arrays, manifest)


def test_intact_arrays_pass_and_load_the_same(mnist_root, mnist_arrays):
    manifest = mnist_root / layout.data_manifest()
    checked = load_eval_sets(mnist_arrays, np.arange(100), "float32", manifest)
    unchecked = load_eval_sets(mnist_arrays, np.arange(100), "float32")
    assert all(np.array_equal(a.X, b.X) and np.array_equal(a.labels, b.labels) for a, b in zip(checked, unchecked))


def test_a_changed_idx_file_is_refused_by_build_arrays(mnist_root, tmp_path):
    name = "t10k-images-idx3-ubyte"
    idx = {n: mnist_root / layout.mnist_file(n) for n in MNIST_SHA256}
    changed = tmp_path / name
    data = bytearray(idx[name].read_bytes())
    data[16 + 28 * 14 + 14] ^= 0x01  # one test pixel: the label counts and pixel statistics cannot tell
    changed.write_bytes(bytes(data))
    idx[name] = changed
    out = {(s, k): tmp_path / f"{s}_{k}.npy" for s in layout.SPLITS for k in layout.ARRAY_KINDS}
    with pytest.raises(CorruptCacheError, match=f"{changed}: SHA-256 .* Fix: delete {changed} and rerun"):
        build_arrays(idx, out, tmp_path / "manifest.json")
    assert not any(p.exists() for p in out.values())


def test_the_check_costs_little_next_to_a_b100_training_job(mnist_root, mnist_arrays):
    """The cost of the check per job, against a B = 100 job on the full training set, measured
    here in one process: the check, and 2 of the job's 100 epochs scaled up (printed, -s)."""
    from mnist_sgd.train.run import RunSettings, train_run

    manifest = mnist_root / layout.data_manifest()
    verify_arrays(mnist_arrays, manifest)  # warm the page cache, as for a job after build_arrays
    started = time.perf_counter()
    verify_arrays(mnist_arrays, manifest)
    check = time.perf_counter() - started
    sets = load_eval_sets(mnist_arrays, np.arange(50_000), "float32")
    started = time.perf_counter()
    train_run(RunSettings("numpy", 100, 0.01, 0, epochs=2), sets)
    job = (time.perf_counter() - started) / 2 * 100
    print(f"cache check {check:.3f} s per job; a B = 100 job of 100 epochs about {job:.1f} s ({check / job:.1%})")
    assert check < 0.05 * job

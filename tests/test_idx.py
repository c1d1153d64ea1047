"""IDX parsing on generated files: the good case and every malformed case named in #2."""

import struct

import numpy as np
import pytest

from mnist_sgd.data.idx import IMAGES_MAGIC, LABELS_MAGIC, IdxFormatError, parse_idx, read_mnist_pair


def idx_bytes(magic: int, dims: tuple[int, ...], payload: bytes) -> bytes:
    return struct.pack(">i", magic) + struct.pack(f">{len(dims)}i", *dims) + payload


def test_parses_generated_images_and_labels(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint64).astype(np.uint8).reshape(3, 28, 28)
    labels = np.array([7, 0, 9], dtype=np.uint8)
    (tmp_path / "img").write_bytes(idx_bytes(IMAGES_MAGIC, (3, 28, 28), images.tobytes()))
    (tmp_path / "lab").write_bytes(idx_bytes(LABELS_MAGIC, (3,), labels.tobytes()))
    got_images, got_labels = read_mnist_pair(tmp_path / "img", tmp_path / "lab")
    assert got_images.shape == (3, 28, 28) and got_images.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_wrong_magic_is_named():
    data = idx_bytes(LABELS_MAGIC, (2, 28, 28), bytes(2 * 784))
    with pytest.raises(IdxFormatError, match="magic number 2049.*expected 2051"):
        parse_idx(data, expected_magic=IMAGES_MAGIC, name="x")


def test_gzip_bytes_are_not_idx():
    import gzip

    data = gzip.compress(idx_bytes(LABELS_MAGIC, (2,), b"\x01\x02"))
    with pytest.raises(IdxFormatError, match="gzip"):
        parse_idx(data, expected_magic=LABELS_MAGIC)


@pytest.mark.parametrize("cut", [1, 100])
def test_truncated_payload(cut):
    data = idx_bytes(IMAGES_MAGIC, (2, 28, 28), bytes(2 * 784))[:-cut]
    with pytest.raises(IdxFormatError, match="truncated"):
        parse_idx(data, expected_magic=IMAGES_MAGIC)


def test_truncated_header():
    with pytest.raises(IdxFormatError, match="shorter than the 16-byte IDX header"):
        parse_idx(b"\x00\x00\x08\x03\x00", expected_magic=IMAGES_MAGIC)


def test_count_mismatch_between_header_and_payload():
    data = idx_bytes(LABELS_MAGIC, (5,), bytes(6))
    with pytest.raises(IdxFormatError, match="trailing bytes"):
        parse_idx(data, expected_magic=LABELS_MAGIC)


def test_images_and_labels_count_mismatch(tmp_path):
    (tmp_path / "img").write_bytes(idx_bytes(IMAGES_MAGIC, (2, 28, 28), bytes(2 * 784)))
    (tmp_path / "lab").write_bytes(idx_bytes(LABELS_MAGIC, (3,), bytes(3)))
    with pytest.raises(IdxFormatError, match="2 images but .* 3 labels"):
        read_mnist_pair(tmp_path / "img", tmp_path / "lab")


def test_label_out_of_range(tmp_path):
    (tmp_path / "img").write_bytes(idx_bytes(IMAGES_MAGIC, (1, 28, 28), bytes(784)))
    (tmp_path / "lab").write_bytes(idx_bytes(LABELS_MAGIC, (1,), b"\x0c"))
    with pytest.raises(IdxFormatError, match="label 12 outside 0..9"):
        read_mnist_pair(tmp_path / "img", tmp_path / "lab")

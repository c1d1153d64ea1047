"""Mirror fallback, checksum verification and atomic writes of the MNIST download."""

import functools
import gzip
import hashlib
import http.server
import threading

import pytest

from mnist_sgd.data.download import DownloadError, candidate_urls, fetch_verified, mirror_list

PAYLOAD = b"\x00\x00\x08\x01\x00\x00\x00\x03\x01\x02\x03"
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.fixture
def http_mirror(tmp_path):
    """A real HTTP server on 127.0.0.1 serving tmp_path/served (404 for anything missing)."""
    served = tmp_path / "served"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_first_mirror_404_second_used(http_mirror, tmp_path):
    _, url = http_mirror  # serves nothing: every request is a 404
    good = tmp_path / "good"
    good.mkdir()
    (good / "f.gz").write_bytes(gzip.compress(PAYLOAD))
    dest = tmp_path / "out" / "f"
    got = fetch_verified("f", dest, [url, str(good)], SHA, timeout=5, retries=0, allow_http=True)
    assert dest.read_bytes() == PAYLOAD
    assert got.source == (good / "f.gz").as_uri() and got.sha256 == SHA


def test_missing_folder_then_http_mirror(http_mirror, tmp_path):
    served, url = http_mirror
    (served / "f.gz").write_bytes(gzip.compress(PAYLOAD))
    dest = tmp_path / "f"
    got = fetch_verified("f", dest, [str(tmp_path / "nowhere"), url], SHA, timeout=5, retries=0, allow_http=True)
    assert got.source == url + "f.gz"
    assert dest.read_bytes() == PAYLOAD


def test_uncompressed_file_on_mirror_is_accepted(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "f").write_bytes(PAYLOAD)
    got = fetch_verified("f", tmp_path / "f", [str(tmp_path / "m")], SHA, retries=0)
    assert got.source.endswith("/m/f")


def test_checksum_mismatch_raises_and_leaves_no_file(http_mirror, tmp_path):
    served, url = http_mirror
    (served / "f.gz").write_bytes(gzip.compress(PAYLOAD + b"corrupt"))
    dest = tmp_path / "f"
    dest.write_bytes(b"stale file from an earlier run")
    with pytest.raises(DownloadError) as err:
        fetch_verified("f", dest, [url, str(tmp_path / "nowhere")], SHA, timeout=5, retries=0, allow_http=True)
    message = str(err.value)
    assert f"{url}f.gz: ChecksumError" in message and f"expected {SHA}" in message
    assert "nowhere/f.gz" in message and "MNIST_MIRROR" in message
    assert not dest.exists()
    assert list(tmp_path.glob(".f.*")) == []  # no temporary left behind


def test_truncated_gzip_is_rejected(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "f.gz").write_bytes(gzip.compress(PAYLOAD)[:-5])
    with pytest.raises(DownloadError, match="f.gz: EOFError"):
        fetch_verified("f", tmp_path / "f", [str(tmp_path / "m")], SHA, retries=0)
    assert not (tmp_path / "f").exists()


def test_mirror_order_env_then_local_then_configured():
    got = mirror_list(["https://a/", "https://b/"], "/local", env={"MNIST_MIRROR": "/env"})
    assert got == ["/env", "/local", "https://a/", "https://b/"]
    assert mirror_list(["https://a/"], None, env={}) == ["https://a/"]
    assert mirror_list(["/x", "/x"], "/x", env={}) == ["/x"]


def test_candidate_urls():
    assert candidate_urls("https://h/mnist", "f") == ["https://h/mnist/f.gz", "https://h/mnist/f"]
    assert candidate_urls("/data/m", "f")[0] == "file:///data/m/f.gz"

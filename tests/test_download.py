"""Mirror fallback, checksum verification and atomic writes of the MNIST download; which
mirrors are accepted (HTTPS, file:// and folders; plain HTTP only when allowed); one
download job per file through the real workflow."""

import functools
import gzip
import hashlib
import http.server
import json
import os
import subprocess
import threading
from pathlib import Path

import pytest

from conftest import mirror_environment, snakemake_command
from mnist_sgd import layout
from mnist_sgd.data.download import (
    ALLOW_HTTP_ENV_VAR,
    MNIST_SHA256,
    DownloadError,
    InsecureMirrorError,
    candidate_urls,
    check_mirrors,
    fetch_verified,
    http_allowed,
    mirror_list,
)

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


# ---- security: which mirrors are accepted --------------------------------------------


def test_plain_http_mirror_is_refused_unless_allowed(http_mirror, tmp_path, monkeypatch):
    served, url = http_mirror
    (served / "f.gz").write_bytes(gzip.compress(PAYLOAD))
    monkeypatch.delenv(ALLOW_HTTP_ENV_VAR, raising=False)
    with pytest.raises(InsecureMirrorError) as err:
        fetch_verified("f", tmp_path / "f", [str(tmp_path / "good"), url], SHA, timeout=5, retries=0)
    assert url in str(err.value) and f"set {ALLOW_HTTP_ENV_VAR}=1" in str(err.value)
    assert not (tmp_path / "f").exists()
    monkeypatch.setenv(ALLOW_HTTP_ENV_VAR, "1")  # explicitly allowed: fetched, and still verified
    assert fetch_verified("f", tmp_path / "f", [url], SHA, timeout=5, retries=0).source == url + "f.gz"
    (served / "f.gz").write_bytes(gzip.compress(PAYLOAD + b"tampered"))
    with pytest.raises(DownloadError, match="ChecksumError"):
        fetch_verified("f", tmp_path / "f", [url], SHA, timeout=5, retries=0)


@pytest.mark.parametrize("mirror", ["ftp://example.org/mnist/", "gopher://h/", "jar:file:///x!/"])
def test_other_schemes_are_refused_even_with_http_allowed(mirror):
    with pytest.raises(InsecureMirrorError, match="refused mirror"):
        check_mirrors([mirror], allow_http=True)


def test_the_scheme_is_compared_case_insensitively():
    with pytest.raises(InsecureMirrorError):
        check_mirrors(["HTTP://h/mnist/"], allow_http=False)
    check_mirrors(["HTTP://h/mnist/", "HTTPS://h/mnist/"], allow_http=True)


def test_https_file_urls_and_folders_are_accepted():
    check_mirrors(["https://h/mnist/", "file:///data/mnist", "/data/mnist", "relative/mnist"], allow_http=False)
    assert (
        not http_allowed({})
        and http_allowed({ALLOW_HTTP_ENV_VAR: "1"})
        and not http_allowed({ALLOW_HTTP_ENV_VAR: "yes"})
    )


# ---- one job per file through the real workflow ------------------------------------------

SOURCES = ["resources/mnist/sources.json"]


@pytest.mark.process
def test_a_mirror_serving_a_wrong_file_keeps_the_verified_ones(http_mirror, tmp_path):
    """A local mirror with train-labels under the test-labels name: the three verified files are
    kept; an http:// mirror is refused until allowed; the retry fetches only the missing file."""
    real = mirror_environment()["MNIST_MIRROR"]
    bad = tmp_path / "bad-mirror"
    bad.mkdir()
    for name in MNIST_SHA256:
        source = "train-labels-idx1-ubyte" if name == "t10k-labels-idx1-ubyte" else name
        (bad / f"{name}.gz").symlink_to(Path(real) / f"{source}.gz")
    work = tmp_path / "work"
    work.mkdir()
    config = {"data": {"mirrors": []}}
    env = os.environ | {"MNIST_MIRROR": str(bad)}
    env.pop(ALLOW_HTTP_ENV_VAR, None)

    def run(*args, env=env):
        cmd = snakemake_command(work, config, *SOURCES, "--cores", "2", *args)
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

    first = run("--keep-going")
    out = first.stdout + first.stderr
    assert first.returncode != 0
    assert "could not fetch a verified copy of t10k-labels-idx1-ubyte" in out, out[-3000:]
    assert f"{(bad / 't10k-labels-idx1-ubyte.gz').as_uri()}: ChecksumError" in out  # every URL tried, and why
    assert "Fix: check the network, or point $MNIST_MIRROR" in out
    assert out.count("Rule: download_mnist") == 3  # one job per file: the other three succeeded
    wrong = work / layout.mnist_file("t10k-labels-idx1-ubyte")
    assert not wrong.exists()
    kept = {name: work / layout.mnist_file(name) for name in MNIST_SHA256 if name != "t10k-labels-idx1-ubyte"}
    for name, path in kept.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == MNIST_SHA256[name]
    stamps = {name: path.stat().st_mtime_ns for name, path in kept.items()}

    served, url = http_mirror  # the real files over plain HTTP
    for name in MNIST_SHA256:
        (served / f"{name}.gz").symlink_to(Path(real) / f"{name}.gz")
    refused = run(env=env | {"MNIST_MIRROR": url})
    assert refused.returncode != 0 and f"refused mirror(s) {url}" in refused.stdout + refused.stderr
    assert not wrong.exists()

    retry = run(env=env | {"MNIST_MIRROR": url, ALLOW_HTTP_ENV_VAR: "1"})
    out = retry.stdout + retry.stderr
    assert retry.returncode == 0, out[-3000:]
    assert out.count("Rule: download_mnist") == 1  # only the missing file
    assert {name: path.stat().st_mtime_ns for name, path in kept.items()} == stamps
    assert hashlib.sha256(wrong.read_bytes()).hexdigest() == MNIST_SHA256["t10k-labels-idx1-ubyte"]
    sources = json.loads((work / SOURCES[0]).read_text())
    assert [f["name"] for f in sources["files"]] == sorted(MNIST_SHA256)
    by_name = {f["name"]: f for f in sources["files"]}
    assert by_name["t10k-labels-idx1-ubyte"]["source"] == url + "t10k-labels-idx1-ubyte.gz"
    assert by_name["train-images-idx3-ubyte"]["source"] == (bad / "train-images-idx3-ubyte.gz").as_uri()
    assert all(f["sha256"] == MNIST_SHA256[f["name"]] for f in sources["files"])

"""Fetch the four MNIST IDX files from an ordered list of mirrors.

Every file is verified by the SHA-256 of its *uncompressed* bytes (the .gz bytes differ
between mirrors, the IDX bytes do not), then written atomically: a temporary file in the
destination folder renamed into place, so a failed, truncated or corrupted download never
leaves a file that a later run would trust.

A mirror is a base URL (``https://...``, ``http://...``, ``file://...``) or a local folder;
the file ``<mirror>/<name>.gz`` is tried first, then the uncompressed ``<mirror>/<name>``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from mnist_sgd.atomic import write_atomically

#: SHA-256 of the canonical uncompressed MNIST files.
MNIST_SHA256: dict[str, str] = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

#: Environment variable that puts a mirror (folder or URL) before all others.
MIRROR_ENV_VAR = "MNIST_MIRROR"


class DownloadError(RuntimeError):
    """No mirror delivered a file with the expected checksum."""


class ChecksumError(ValueError):
    """Bytes whose SHA-256 is not the pinned one."""


@dataclass(frozen=True)
class Fetched:
    """Where a verified file came from."""

    name: str
    source: str
    sha256: str
    n_bytes: int


def mirror_list(configured: list[str], local_mirror: str | None = None, env: dict[str, str] | None = None) -> list[str]:
    """The ordered, de-duplicated mirror list: ``$MNIST_MIRROR``, then ``local_mirror``, then ``configured``."""
    env = os.environ if env is None else env
    ordered = [m for m in (env.get(MIRROR_ENV_VAR), local_mirror) if m] + list(configured)
    seen: set[str] = set()
    return [m for m in ordered if not (m in seen or seen.add(m))]


def candidate_urls(mirror: str, name: str) -> list[str]:
    """The URLs to try for ``name`` on ``mirror``: the .gz file first, then the raw file."""
    if "://" not in mirror:  # a plain folder
        base = Path(mirror).expanduser().resolve().as_uri() + "/"
    else:
        base = mirror if mirror.endswith("/") else mirror + "/"
    return [urllib.parse.urljoin(base, name + ".gz"), urllib.parse.urljoin(base, name)]


def _read_url(url: str, timeout: float, retries: int) -> bytes:
    """GET ``url``; transient failures (timeouts, 5xx, resets) are retried ``retries`` times."""
    for attempt in range(retries + 1):
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                return response.read()
        except urllib.error.HTTPError as err:
            if err.code < 500 or attempt == retries:
                raise
        except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
            reason = getattr(err, "reason", err)
            if isinstance(reason, (FileNotFoundError, NotADirectoryError)) or attempt == retries:
                raise
        time.sleep(min(2.0**attempt, 10.0))
    raise AssertionError("unreachable")


def _describe(err: BaseException) -> str:
    if isinstance(err, urllib.error.HTTPError):
        return f"HTTP {err.code} {err.reason}"
    if isinstance(err, urllib.error.URLError):
        return f"{type(err.reason).__name__}: {err.reason}"
    return f"{type(err).__name__}: {err}"


def decompress_if_gzip(data: bytes) -> bytes:
    """Gunzip ``data`` if it starts with the gzip magic bytes, else return it unchanged."""
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def verify_sha256(data: bytes, expected: str, what: str) -> str:
    """Return the SHA-256 of ``data``; raise :class:`ChecksumError` if it is not ``expected``."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != expected:
        raise ChecksumError(f"{what}: SHA-256 {digest} of the uncompressed bytes, expected {expected}")
    return digest


def fetch_verified(
    name: str,
    dest: Path,
    mirrors: list[str],
    expected_sha256: str,
    *,
    timeout: float = 30.0,
    retries: int = 1,
) -> Fetched:
    """Fetch ``name`` from the first mirror that delivers the expected bytes; write it to ``dest``.

    Raises:
        DownloadError: listing every URL tried and why each failed. ``dest`` is then absent.
    """
    dest = Path(dest)
    dest.unlink(missing_ok=True)
    failures: list[str] = []
    for mirror in mirrors:
        for url in candidate_urls(mirror, name):
            try:
                data = decompress_if_gzip(_read_url(url, timeout, retries))
                digest = verify_sha256(data, expected_sha256, url)
            except (OSError, ValueError, EOFError, urllib.error.URLError) as err:
                failures.append(f"  {url}: {_describe(err)}")
                continue
            write_atomically(data, dest)
            return Fetched(name=name, source=url, sha256=digest, n_bytes=len(data))
    tried = "\n".join(failures) if failures else "  (the mirror list is empty)"
    raise DownloadError(
        f"could not fetch a verified copy of {name} (uncompressed SHA-256 {expected_sha256}).\n"
        f"Mirrors tried, in order:\n{tried}\n"
        f"Fix: check the network, or point ${MIRROR_ENV_VAR} (or data.local_mirror in config.yaml) "
        "at a folder or URL holding the four MNIST .gz files."
    )

"""Fetch the four MNIST IDX files from an ordered list of mirrors.

Every file is verified by the SHA-256 of its *uncompressed* bytes (the .gz bytes differ
between mirrors, the IDX bytes do not), then written atomically: a temporary file in the
destination folder renamed into place, so a failed, truncated or corrupted download never
leaves a file that a later run would trust.

A mirror is a base URL (``https://...`` or ``file://...``) or a local folder; the file
``<mirror>/<name>.gz`` is tried first, then the uncompressed ``<mirror>/<name>``. A plain
``http://`` mirror is refused unless ``$MNIST_ALLOW_HTTP`` is ``1`` (or the caller passes
``allow_http=True``); any other scheme is always refused. Whatever the transport, the bytes
are kept only when their SHA-256 is the pinned one.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass
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
#: Environment variable that, set to ``1``, allows plain ``http://`` mirrors (still SHA-256 verified).
ALLOW_HTTP_ENV_VAR = "MNIST_ALLOW_HTTP"
#: URL schemes a mirror may use (a plain folder has none); ``http`` only when allowed.
SAFE_SCHEMES = ("https", "file")


class DownloadError(RuntimeError):
    """No mirror delivered a file with the expected checksum."""


class InsecureMirrorError(DownloadError):
    """A mirror over plain HTTP (not allowed) or over a scheme that is never allowed."""


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


def http_allowed(env: dict[str, str] | None = None) -> bool:
    """True when ``$MNIST_ALLOW_HTTP`` is ``1`` (plain HTTP mirrors explicitly allowed)."""
    env = os.environ if env is None else env
    return env.get(ALLOW_HTTP_ENV_VAR, "").strip() == "1"


def check_mirrors(mirrors: list[str], allow_http: bool | None = None) -> None:
    """Refuse, before anything is fetched, a mirror that is neither HTTPS, ``file://`` nor a folder.

    ``allow_http``: also accept ``http://`` mirrors (None: :func:`http_allowed`).

    Raises:
        InsecureMirrorError: naming every refused mirror and the fix.
    """
    allow_http = http_allowed() if allow_http is None else allow_http
    allowed = SAFE_SCHEMES + (("http",) if allow_http else ())
    refused = [m for m in mirrors if "://" in m and urllib.parse.urlsplit(m).scheme.lower() not in allowed]
    if not refused:
        return
    plain = [m for m in refused if urllib.parse.urlsplit(m).scheme.lower() == "http"]
    fix = (
        f"use the https:// address of the mirror, a local folder, or, to accept plain HTTP anyway "
        f"(every file is still checked against its pinned SHA-256), set {ALLOW_HTTP_ENV_VAR}=1"
        if plain
        else "use an https:// URL or a local folder"
    )
    raise InsecureMirrorError(
        f"refused mirror(s) {', '.join(refused)}: only https://, file:// and local folders are allowed "
        f"(plain http:// only with {ALLOW_HTTP_ENV_VAR}=1). Fix: {fix}."
    )


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
    allow_http: bool | None = None,
) -> Fetched:
    """Fetch ``name`` from the first mirror that delivers the expected bytes; write it to ``dest``.

    ``allow_http``: accept ``http://`` mirrors (None: only when ``$MNIST_ALLOW_HTTP`` is 1).

    Raises:
        InsecureMirrorError: a mirror's scheme is not allowed (nothing is fetched).
        DownloadError: listing every URL tried and why each failed. ``dest`` is then absent.
    """
    check_mirrors(mirrors, allow_http)
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


def source_record(fetched: Fetched, mirrors: list[str]) -> dict:
    """The record of one fetched file (rule download_mnist writes one per file)."""
    return {"mirrors": list(mirrors), **asdict(fetched)}


def collect_sources(records: list[dict]) -> dict:
    """The per-file records as one document: the mirror list of the first and every file's
    ``name``, ``source``, ``sha256``, ``n_bytes`` (in the order given)."""
    mirrors = records[0]["mirrors"] if records else []
    return {"mirrors": mirrors, "files": [{k: r[k] for k in ("name", "source", "sha256", "n_bytes")} for r in records]}

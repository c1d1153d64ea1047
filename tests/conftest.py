"""Shared fixtures: the repository root and the real MNIST arrays built from a local mirror.

The MNIST mirror is ``$MNIST_MIRROR`` if set, else ``<repo>/../shared/mnist`` (the offline
copy CI has beside its clone); tests that need the data are skipped when neither exists.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:  # also done by pyproject's pythonpath; harmless twice
    sys.path.insert(0, str(REPO_ROOT))

#: The offline mirror beside the repository (docs/configuration.md, "Offline use").
DEFAULT_MIRROR = REPO_ROOT.parent / "shared" / "mnist"


def local_mnist_mirror() -> str | None:
    """``$MNIST_MIRROR`` if set, else the default offline mirror if it exists, else None."""
    from_env = os.environ.get("MNIST_MIRROR")
    if from_env:
        return from_env
    return str(DEFAULT_MIRROR) if DEFAULT_MIRROR.is_dir() else None


def snakemake_command(workdir: Path, config: dict, *args: str, snakefile: Path | str | None = None) -> list[str]:
    """The command line of the real Snakemake on ``config`` (written to ``workdir/config.yaml``)
    with ``workdir`` as working directory; ``args`` are targets and further options (they come
    before ``--configfile``, which takes every word after it)."""
    import yaml

    (workdir / "config.yaml").write_text(yaml.safe_dump(config))
    return [sys.executable, "-m", "snakemake", "--snakefile", str(snakefile or REPO_ROOT / "Snakefile"),
            "--directory", str(workdir), *args, "--configfile", str(workdir / "config.yaml")]  # fmt: skip


def mirror_environment() -> dict[str, str]:
    """The environment with MNIST_MIRROR set to the local mirror (skips the test without one)."""
    mirror = local_mnist_mirror()
    if mirror is None:
        pytest.skip("no MNIST mirror (set MNIST_MIRROR)")
    return os.environ | {"MNIST_MIRROR": mirror}


#: Fixtures that run the real Snakemake: a test using one is marked `process` (below), as if
#: it carried @pytest.mark.process itself.
PROCESS_FIXTURES = {"tiny_report", "fabricated"}
#: Fixtures that hold the real MNIST arrays: a test using one is marked `mnist` (it builds the
#: arrays from the mirror once per session, and usually trains on them for seconds).
MNIST_FIXTURES = {"mnist_root", "mnist_arrays"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that start Snakemake through a fixture of PROCESS_FIXTURES as `process`,
    those that use the real MNIST arrays as `mnist` (`make test-fast` runs the others)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if PROCESS_FIXTURES & fixtures:
            item.add_marker(pytest.mark.process)
        if MNIST_FIXTURES & fixtures:
            item.add_marker(pytest.mark.mnist)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's root folder (holds Snakefile, config.yaml, mnist_sgd/)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def mnist_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workflow working directory holding the cached arrays, as rule build_arrays lays them out.

    Built once per test session from the real MNIST files, fetched checksum-verified from
    the local mirror and converted by ``build_arrays`` (default split: 50,000 train,
    10,000 val, 10,000 test); paths as in :mod:`mnist_sgd.layout`.
    """
    mirror = local_mnist_mirror()
    if mirror is None:
        pytest.skip(
            f"no MNIST mirror: set MNIST_MIRROR to a folder with the four MNIST .gz files "
            f"(or place them in {DEFAULT_MIRROR})"
        )
    from mnist_sgd import layout
    from mnist_sgd.data.dataset import SPLITS, build_arrays
    from mnist_sgd.data.download import MNIST_SHA256, fetch_verified, mirror_list

    root = tmp_path_factory.mktemp("mnist")
    # $MNIST_MIRROR comes first by itself; the default folder is passed as local_mirror.
    mirrors = mirror_list([], mirror)
    idx_files = {name: root / layout.mnist_file(name) for name in MNIST_SHA256}
    for name, sha256 in MNIST_SHA256.items():
        fetch_verified(name, idx_files[name], mirrors, sha256)
    arrays = {(s, k): root / layout.array(s, k) for s in SPLITS for k in layout.ARRAY_KINDS}
    build_arrays(idx_files, arrays, root / layout.data_manifest())
    return root


@pytest.fixture(scope="session")
def mnist_arrays(mnist_root: Path) -> dict[tuple[str, str], Path]:
    """The cached arrays of :func:`mnist_root`: {(split, "images" | "labels"): path}."""
    from mnist_sgd import layout

    return {(s, k): mnist_root / layout.array(s, k) for s in layout.SPLITS for k in layout.ARRAY_KINDS}

"""`PYTHON=/path/to/python3.X make ...` builds .venv with that interpreter (setup/bootstrap.sh).

The real Makefile and bootstrap run in a copy of the repository whose requirements.txt pins
one small package (the real one would install 3 GB): .venv must be created by the chosen
interpreter, not the default one, and hold the pinned package. Skipped where no supported
Python other than the one running the tests is installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

pytestmark = pytest.mark.process

SUPPORTED = re.search(
    r"^SUPPORTED_PYTHONS=\(([^)]*)\)", (REPO_ROOT / "setup" / "bootstrap.sh").read_text(), re.M
).group(1)


def version_of(python: str) -> str | None:
    try:
        shown = subprocess.run(
            [python, "-c", "import sys; print(*sys.version_info[:2], sep='.')"], capture_output=True, text=True
        )
    except OSError:
        return None
    return shown.stdout.strip() if shown.returncode == 0 else None


def other_python() -> tuple[str, str]:
    """A supported interpreter of another minor version than the tests' own, and its version."""
    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    candidates = [f"python{v}" for v in SUPPORTED.split()]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.1[1-3]*/bin/python3.1?"))
    for candidate in candidates:
        path = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
        version = path and version_of(path)
        if version and version != running and version in SUPPORTED.split():
            return path, version
    pytest.skip(f"no supported Python ({SUPPORTED}) other than {running} is installed")


@pytest.mark.parametrize("how", ["environment", "make variable"])
def test_python_chooses_the_interpreter_of_the_new_venv(tmp_path, how):
    python, version = other_python()
    repo = tmp_path / "repo"
    (repo / "setup").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "Makefile", repo / "Makefile")
    shutil.copy2(REPO_ROOT / "setup" / "bootstrap.sh", repo / "setup" / "bootstrap.sh")
    (repo / "requirements.txt").write_text("pyyaml==6.0.3\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    if how == "environment":  # PYTHON=... make bootstrap
        cmd, env = ["make", "-C", str(repo), "bootstrap"], env | {"PYTHON": python}
    else:  # make bootstrap PYTHON=...
        cmd = ["make", "-C", str(repo), "bootstrap", f"PYTHON={python}"]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert f"creating .venv with {python} (Python {version}" in output, output
    assert version_of(str(repo / ".venv" / "bin" / "python")) == version
    shown = subprocess.run(
        [str(repo / ".venv" / "bin" / "python"), "-c", "import yaml; print(yaml.__version__)"],
        capture_output=True,
        text=True,
    )
    assert shown.stdout.strip() == "6.0.3", shown.stderr

    # Run again with the default interpreter asked for: .venv is kept, and the bootstrap says so.
    again = subprocess.run(
        ["make", "-C", str(repo), "bootstrap"],
        env=env | {"PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"is not used: .venv exists with Python {version}" in again.stdout
    assert version_of(str(repo / ".venv" / "bin" / "python")) == version

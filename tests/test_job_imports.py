"""Rule scripts import the package without PYTHONPATH, as in a conda job (`--sdm conda`).

Snakemake removes PYTHONPATH from the environment of a conda job and runs the script with
the environment's own interpreter, from the working directory. What a job can rely on is
the sys.path Snakemake's preamble writes into the job script: the searchpaths of the
Snakemake process, then the script's own folder. scripts/mnist_sgd links to the package,
so that folder is enough. Conda itself cannot be installed here (no conda channel is
reachable): the test runs the real Snakemake without PYTHONPATH from another working
directory, then runs the job script Snakemake wrote again, in an isolated interpreter
(``python -I``: no PYTHONPATH, no current folder on sys.path), as a conda job's shell does.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import REPO_ROOT, snakemake_command
from mnist_sgd import layout
from mnist_sgd.train.minibatches import draw_subset

CONFIG = {"data": {"n_train": 5000, "n_val": 1000}, "grid": {"batch_sizes": [], "subset_sizes": [500]}}
TARGET = layout.subset(500, 0)


def without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def preamble_searchpaths(script: Path) -> list[str]:
    """The folders Snakemake's preamble appends to the job's sys.path (``sys.path.extend([...])``)."""
    found = re.search(r"sys\.path\.extend\((\[.*?\])\);", script.read_text())
    assert found, f"no sys.path.extend in the preamble of {script}"
    return ast.literal_eval(found.group(1))


def test_the_package_link_points_at_the_package():
    link = REPO_ROOT / "scripts" / "mnist_sgd"
    assert link.is_symlink() and os.readlink(link) == "../mnist_sgd"
    assert link.resolve() == (REPO_ROOT / "mnist_sgd").resolve()


def test_no_rule_file_sets_pythonpath():
    for path in [REPO_ROOT / "Snakefile", *(REPO_ROOT / "workflow" / "rules").glob("*.smk")]:
        code = [line for line in path.read_text().splitlines() if not line.lstrip().startswith("#")]
        assert not [line for line in code if "PYTHONPATH" in line], f"{path.name} sets PYTHONPATH"


@pytest.mark.process
def test_rule_script_runs_like_a_conda_job(tmp_path):
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    cmd = snakemake_command(workdir, CONFIG, TARGET, "--cores", "1", "--skip-script-cleanup")
    result = subprocess.run(cmd, cwd=workdir, env=without_pythonpath(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    expected = draw_subset(5000, 500, 0)
    assert np.array_equal(np.load(workdir / TARGET), expected)

    # The job script as Snakemake wrote it puts the script's own folder on sys.path, which
    # holds the package (the link). Snakemake's other searchpaths (the Snakemake process's
    # sys.path, where the repository root also is) are not passed to container jobs.
    (script,) = (workdir / ".snakemake" / "scripts").glob("*.draw_subset.py")
    paths = preamble_searchpaths(script)
    scripts = str(REPO_ROOT / "workflow" / "rules" / ".." / ".." / "scripts")
    assert scripts in paths, paths
    assert Path(scripts, "mnist_sgd", "__init__.py").is_file()

    # Run it again as a conda job would: an isolated interpreter (no PYTHONPATH, no current
    # folder on sys.path), from the workdir, with every other route to the package cut from
    # the preamble: only the script's folder leads to it.
    others = [p for p in paths if (Path(p) / "mnist_sgd").exists() and p != scripts]
    kept = [p for p in paths if p not in others]
    job = script.read_text().replace(repr(paths), repr(kept), 1)
    assert job != script.read_text() and repr(kept) in job
    isolated = tmp_path / "job.py"
    isolated.write_text(job)
    (workdir / TARGET).unlink()
    rerun = subprocess.run(
        [sys.executable, "-I", str(isolated)],
        cwd=workdir,
        env=without_pythonpath(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    assert np.array_equal(np.load(workdir / TARGET), expected)
    log = (workdir / layout.log("draw_subset", layout.subset_key(500, 0))).read_text()
    assert f"500 of 5000 training images, first: {expected[:10].tolist()}" in log


@pytest.mark.process
def test_every_rule_script_finds_the_package_in_its_own_folder():
    """An interpreter whose sys.path has only the scripts folder (plus the standard library)
    finds the package there, not elsewhere."""
    probe = (
        "import importlib.util, sys; sys.path.append(sys.argv[1]); print(importlib.util.find_spec('mnist_sgd').origin)"
    )
    shown = subprocess.run(
        [sys.executable, "-I", "-S", "-c", probe, str(REPO_ROOT / "scripts")],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == str(REPO_ROOT / "scripts" / "mnist_sgd" / "__init__.py")

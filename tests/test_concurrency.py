"""Two snakemake runs on one folder, and --cores 4 against --cores 1: the real Snakemake, a small grid."""

import csv
import os
import signal
import subprocess
import time

import numpy as np
import pytest

from conftest import mirror_environment, snakemake_command

pytestmark = pytest.mark.process

SMALL = {  # 2 lrs x 2 seeds, long enough (several seconds per job, the 2 lrs in lockstep) for a second run to meet the first
    "training": {"epochs": 1200, "seeds": [0, 1]},
    "grid": {"batch_sizes": [], "subset_sizes": [500], "subset_batch_size": 50, "learning_rates": [0.01, 0.03]},
    "frameworks": {"backends": []},
    # the grid only, on both seeds: the runs below, and no rounds to wait for
    "lr_search": {"max_rounds": 0, "seeds": "all"},
}
TARGETS = ["results/lr_choice/numpy/b50_n500.json"]
RUNS = [f"results/runs/numpy/b50/n500/lr{lr}/seed{seed}" for lr in ("0.01", "0.03") for seed in (0, 1)]
LOCK_MESSAGE = "Directory cannot be locked"  # snakemake.exceptions.LockException


def command(workdir, cores):
    """The snakemake command line for SMALL in ``workdir`` (the config file written there)."""
    return snakemake_command(workdir, SMALL, *TARGETS, "--cores", str(cores))


def environment():
    return mirror_environment()


def run(workdir, cores):
    started = time.monotonic()
    result = subprocess.run(command(workdir, cores), env=environment(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"--cores {cores}: {time.monotonic() - started:.1f} s")
    return workdir


def numbers(workdir, run_dir):
    """A run's history without the timing columns, and its weight arrays as bytes."""
    with open(workdir / run_dir / "history.csv") as fh:
        history = [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in csv.DictReader(fh)]
    with np.load(workdir / run_dir / "weights.npz") as weights:
        arrays = {name: (weights[name].dtype.str, weights[name].shape, weights[name].tobytes()) for name in weights}
    return history, arrays


@pytest.fixture(scope="module")
def clean_runs(tmp_path_factory):
    """SMALL run alone at --cores 1 and at --cores 4 (on however many cores the machine has)."""
    return {cores: run(tmp_path_factory.mktemp(f"cores{cores}"), cores) for cores in (1, 4)}


def test_numbers_do_not_depend_on_cores(clean_runs):
    for run_dir in RUNS:
        history, arrays = numbers(clean_runs[1], run_dir)
        assert len(history) == SMALL["training"]["epochs"] + 1 and "W" in arrays
        assert numbers(clean_runs[4], run_dir) == (history, arrays), run_dir


def wait_for(condition, process, timeout):
    """Poll ``condition()`` until true; False if ``process`` ends or ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_second_run_on_the_same_folder_is_refused_and_changes_nothing(clean_runs, tmp_path):
    first_log = open(tmp_path / "first.out", "w+")  # noqa: SIM115 (the child process writes it)
    first = subprocess.Popen(
        command(tmp_path, 1), env=environment(), stdout=first_log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        locks = tmp_path / ".snakemake" / "locks"
        # start the second run once the first holds its locks and trains: the data are built by then, and a
        # train job's outputs appear only at its end (existing outputs still marked incomplete would make
        # Snakemake report incomplete files, which it checks before the lock)
        assert wait_for(
            lambda: locks.is_dir() and any(locks.iterdir()) and any((tmp_path / "logs").glob("train*")),
            first,
            timeout=120,
        ), "first run did not start training"
        lock_files = sorted(p.name for p in locks.iterdir())
        started = time.monotonic()
        second = subprocess.run(command(tmp_path, 1), env=environment(), capture_output=True, text=True, timeout=120)
        first_still_running = first.poll() is None
        locks_after_second = sorted(p.name for p in locks.iterdir()) if locks.is_dir() else []

        out = second.stdout + second.stderr
        assert second.returncode != 0, out
        assert LOCK_MESSAGE in out, out
        assert "--unlock" in out  # Snakemake's hint, kept as is
        assert "Job " not in out and "Select jobs to execute" not in out, out  # refused before scheduling
        assert first_still_running, "the first run ended before the second was refused: make SMALL longer"
        assert locks_after_second == lock_files  # the second run left the first run's locks alone

        refused = time.monotonic()
        first.wait(timeout=300)
        print(
            f"second run refused after {refused - started:.1f} s; the first ran {time.monotonic() - refused:.1f} s more"
        )
        first_log.seek(0)
        assert first.returncode == 0, first_log.read()[-3000:]
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGTERM)
            first.wait(timeout=30)
        first_log.close()
    assert not locks.exists() or not any(locks.iterdir())  # the first run released its locks
    for run_dir in RUNS:  # the first run's numbers are those of a run that had the folder to itself
        assert numbers(tmp_path, run_dir) == numbers(clean_runs[1], run_dir), run_dir

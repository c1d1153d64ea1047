"""A tiny grid through the real Snakemake: jobs, lr choice, floor (--cores: tests/test_concurrency.py)."""

import csv
import json
import subprocess

import pytest

from conftest import mirror_environment, snakemake_command

TINY = {
    "training": {"epochs": 3, "seeds": [0]},
    "grid": {"batch_sizes": [], "subset_sizes": [500], "subset_batch_size": 50, "learning_rates": [0.01, 0.03, 0.5]},
    "frameworks": {"backends": []},
}
TARGETS = ["results/lr_choice/numpy/b50_n500.json", "results/floor/n500_seed0.json"]


def run_tiny(workdir, cores):
    result = subprocess.run(
        snakemake_command(workdir, TINY, *TARGETS, "--cores", str(cores)),
        env=mirror_environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


@pytest.fixture(scope="module")
def tiny_run(repo_root, tmp_path_factory):
    return run_tiny(tmp_path_factory.mktemp("tiny"), 2)


def test_tiny_grid_yields_the_lr_choice(tiny_run):
    work = tiny_run
    choice = json.loads((work / TARGETS[0]).read_text())
    candidates = {c["lr"]: c for c in choice["candidates"]}
    assert set(candidates) == {0.01, 0.03, 0.5}
    assert candidates[0.5]["diverged"] and not candidates[0.5]["chosen"]
    summaries = {
        lr: json.loads((work / f"results/runs/numpy/b50/n500/lr{lr}/seed0/summary.json").read_text())
        for lr in ("0.01", "0.03", "0.5")
    }
    assert summaries["0.5"]["status"] == "diverged"
    ok = {float(lr): s for lr, s in summaries.items() if s["status"] == "ok"}
    best = max(ok.values(), key=lambda s: (s["final_val_accuracy"], -s["final_val_loss"]))
    assert choice["chosen_lr"] == best["lr"]
    assert candidates[best["lr"]]["mean_val_accuracy"] == best["final_val_accuracy"]
    floor = json.loads((work / TARGETS[1]).read_text())
    for s in ok.values():
        assert s["final_train_loss"] >= floor["floor_loss"]
        assert s["updates"] == 3 * 10  # 500 images / B = 50, 3 epochs
    with open(work / "results/runs/numpy/b50/n500/lr0.01/seed0/history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    assert (work / "logs/train/numpy/b50/n500/lr0.01/seed0.log").exists()
    assert (work / "results/benchmarks/train/numpy/b50/n500/lr0.01/seed0.tsv").exists()

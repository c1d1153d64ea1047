"""A tiny grid through the real Snakemake: jobs, lr choice, floor (--cores: tests/test_concurrency.py)."""

import csv
import json
import subprocess

import numpy as np
import pytest

from conftest import mirror_environment, snakemake_command
from mnist_sgd import grid

pytestmark = pytest.mark.process

TINY = {
    "training": {"epochs": 3, "seeds": [0]},
    "grid": {"batch_sizes": [], "subset_sizes": [500], "subset_batch_size": 50, "learning_rates": [0.01, 0.03, 0.5]},
    "frameworks": {"backends": []},
    "lr_search": {"max_rounds": 1, "last_epochs": 1},
}
TARGETS = ["results/lr_choice/numpy/b50_n500.json", "results/floor/n500_seed0.json"]


def run_tiny(workdir, cores, config=TINY, targets=TARGETS):
    result = subprocess.run(
        snakemake_command(workdir, config, *targets, "--cores", str(cores)),
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


def test_tiny_grid_yields_the_lr_choice_after_one_round_of_search(tiny_run):
    work = tiny_run
    choice = json.loads((work / TARGETS[0]).read_text())
    candidates = {c["lr"]: c for c in choice["candidates"]}
    round0 = json.loads((work / "results/lr_search/numpy/b50_n500/round0.json").read_text())
    # the grid, plus what round 0 proposed (tried in round 1); the search stops after 1 extra round
    assert set(candidates) == {0.01, 0.03, 0.5, *round0["next_lrs"]}
    assert {lr for lr, c in candidates.items() if c["round"] == 1} == set(round0["next_lrs"])
    assert choice["rounds"] == (1 if round0["next_lrs"] else 0)
    assert candidates[0.5]["diverged"] and not candidates[0.5]["chosen"]
    summaries = {
        lr: json.loads((work / f"results/runs/numpy/b50/n500/lr{grid.format_lr(lr)}/seed0/summary.json").read_text())
        for lr in candidates
    }
    assert summaries[0.5]["status"] == "diverged"
    ok = {lr: s for lr, s in summaries.items() if s["status"] == "ok"}
    # the criterion with last_epochs = 1: final validation accuracy; ties within one standard
    # error (10,000 validation images) go to the lowest validation loss
    top = max(s["final_val_accuracy"] for s in ok.values())
    se = (top * (1 - top) / 10_000) ** 0.5
    tied = [s for s in ok.values() if top - s["final_val_accuracy"] <= se]
    best = min(tied, key=lambda s: (s["final_val_loss"], s["lr"]))
    assert choice["chosen_lr"] == best["lr"]
    assert candidates[best["lr"]]["mean_val_accuracy"] == best["final_val_accuracy"]
    below = [lr for lr in candidates if lr < best["lr"]]
    assert choice["bracket"]["below"] == (max(below) if below else None)
    floor = json.loads((work / TARGETS[1]).read_text())
    for s in ok.values():
        assert s["final_train_loss"] >= floor["floor_loss"]
        assert s["updates"] == 3 * 10  # 500 images / B = 50, 3 epochs
    with open(work / "results/runs/numpy/b50/n500/lr0.01/seed0/history.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2, 3]
    # the grid's lrs: one job (rule train_grid); an lr the search added: a job of its own (rule train)
    assert (work / "logs/train_grid/numpy/b50/n500/seed0.log").exists()
    assert (work / "results/benchmarks/train_grid/numpy/b50/n500/seed0.tsv").exists()
    assert not (work / "logs/train/numpy/b50/n500/lr0.01/seed0.log").exists()
    for lr in round0["next_lrs"]:
        assert (work / f"logs/train/numpy/b50/n500/lr{grid.format_lr(lr)}/seed0.log").exists()
        assert (work / f"results/benchmarks/train/numpy/b50/n500/lr{grid.format_lr(lr)}/seed0.tsv").exists()


def without_timings(history_csv):
    """A history's rows without the columns that measure time (the only ones that may differ)."""
    with open(history_csv) as fh:
        return [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in csv.DictReader(fh)]


def test_a_grid_job_trains_each_lr_as_a_job_of_its_own(tiny_run, tmp_path):
    """lr 0.03 trained after 0.01 in the grid job of [0.01, 0.03, 0.5], and in a job with no
    other lr: the same history and the same weights, bit for bit."""
    alone = TINY | {
        "grid": TINY["grid"] | {"learning_rates": [0.03]},
        "lr_search": TINY["lr_search"] | {"max_rounds": 0},
    }
    run = "results/runs/numpy/b50/n500/lr0.03/seed0"
    run_tiny(tmp_path, 1, alone, [f"{run}/summary.json"])
    shared, own = tiny_run / run, tmp_path / run
    assert without_timings(shared / "history.csv") == without_timings(own / "history.csv")
    assert len(without_timings(own / "history.csv")) == 4
    with np.load(shared / "weights.npz") as a, np.load(own / "weights.npz") as b:
        assert a["W"].tobytes() == b["W"].tobytes() and np.any(a["W"] != 0)


def test_a_seeds_job_trains_each_seed_as_a_job_of_its_own(tmp_path):
    """The chosen lr on seeds 1 and 2, trained one after another by the point's seeds job (rule
    train_seeds, lr_search.seeds: first), and each seed's run of that lr in a job of its own
    (lr_search.seeds: all, a grid of that lr alone): the same histories and weights, bit for bit.
    The point's floor job writes each seed's floor of its own subset."""
    three = TINY | {
        "training": TINY["training"] | {"seeds": [0, 1, 2]},
        "lr_search": TINY["lr_search"] | {"max_rounds": 0},
    }
    (tmp_path / "first").mkdir()
    (tmp_path / "alone").mkdir()
    first = run_tiny(
        tmp_path / "first",
        2,
        three,
        ["results/lr_choice/numpy/b50_n500_seeds.json", *(f"results/floor/n500_seed{s}.json" for s in (0, 1, 2))],
    )
    chosen = json.loads((first / "results/lr_choice/numpy/b50_n500.json").read_text())["chosen_lr"]
    own_jobs = three | {
        "grid": TINY["grid"] | {"learning_rates": [chosen]},
        "lr_search": three["lr_search"] | {"seeds": "all"},
    }
    own = f"results/runs/numpy/b50/n500/lr{grid.format_lr(chosen)}/seed{{}}"
    alone = run_tiny(tmp_path / "alone", 2, own_jobs, [f"{own.format(s)}/summary.json" for s in (1, 2)])
    assert (first / "logs/train_seeds/numpy/b50_n500.log").exists()
    for seed in (1, 2):
        shared, solo = first / f"results/runs/numpy/b50/n500/lrchosen/seed{seed}", alone / own.format(seed)
        assert json.loads((shared / "summary.json").read_text())["lr"] == chosen
        assert without_timings(shared / "history.csv") == without_timings(solo / "history.csv")
        with np.load(shared / "weights.npz") as a, np.load(solo / "weights.npz") as b:
            assert a["W"].tobytes() == b["W"].tobytes() and np.any(a["W"] != 0)
    floors = [json.loads((first / f"results/floor/n500_seed{s}.json").read_text()) for s in (0, 1, 2)]
    assert [(f["n_train"], f["seed"]) for f in floors] == [(500, 0), (500, 1), (500, 2)]
    assert len({f["test_loss"] for f in floors}) == 3  # three different draws, each solved

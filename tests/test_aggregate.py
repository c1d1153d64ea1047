"""Aggregation into tidy tables, from hand-written run outputs laid out as the workflow writes them."""

import json
import math

import pandas as pd
import pytest

from mnist_sgd import layout as paths
from mnist_sgd.aggregate.tables import RunFiles, read_tables, run_key, write_tables

HISTORY = (
    "epoch,updates,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,train_seconds,eval_seconds\n"
    "0,0,0.5,0.1,0.5,0.1,0.5,0.1,0.0,0.01\n"
    "1,{u1},{l1},0.8,0.3,0.79,0.31,0.78,{t1},0.01\n"
)


def write_run(
    root, backend, b, n, lr_path, lr, *, status="ok", loss=0.25, seconds=1.5, bench_s=3.25, grid_job=False
) -> RunFiles:
    """A run's summary, history and its job's benchmark file, where the workflow writes them
    (``grid_job``: the point's grid job, rule train_grid, shared by the grid's lrs)."""
    if grid_job:
        benchmark = paths.benchmark("train_grid", paths.grid_job_key(backend, b, n, 0))
    else:
        benchmark = paths.benchmark("train", paths.run_key(backend, b, n, lr_path, 0))
    files = RunFiles(
        *(root / paths.run_file(name, backend, b, n, lr_path, 0) for name in ("summary.json", "history.csv")),
        root / benchmark,
    )
    files.summary.parent.mkdir(parents=True)
    diverged = status == "diverged"
    files.history.write_text(HISTORY.format(u1=n // b, l1="nan" if diverged else loss, t1=seconds))
    files.summary.write_text(
        json.dumps(
            {
                "backend": backend,
                "batch_size": b,
                "lr": lr,
                "lr_path": lr_path,
                "seed": 0,
                "epochs": 1,
                "dtype": "float32",
                "bias": False,
                "divergence_factor": 100.0,
                "n_train": n,
                "status": status,
                "diverged_epoch": 1 if diverged else None,
                "epochs_run": 1,
                "updates": n // b,
                "final_train_loss": "nan" if diverged else loss,
                "final_train_accuracy": 0.8,
                "final_val_loss": 0.3,
                "final_val_accuracy": 0.79,
                "final_test_loss": 0.31,
                "final_test_accuracy": 0.78,
                "train_seconds": seconds,
                "eval_seconds": 0.02,
            }
        )
    )
    files.benchmark.parent.mkdir(parents=True, exist_ok=True)
    files.benchmark.write_text(
        "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
        f"{bench_s}\t0:00:03\t355.33\t496.60\t329.86\t337.18\t0.00\t0.04\t27.31\t1.20\n"
    )
    return files


@pytest.fixture
def tables(tmp_path):
    runs = [
        write_run(tmp_path, "numpy", 100, 1000, "0.01", 0.01, loss=0.25, grid_job=True),
        write_run(tmp_path, "numpy", 100, 1000, "0.5", 0.5, status="diverged", grid_job=True),
        write_run(tmp_path, "tensorflow", 100, 1000, "chosen", 0.01, loss=0.2500001, bench_s=9.5),
    ]
    floor = tmp_path / paths.floor(1000, 0)
    floor.parent.mkdir(parents=True)
    floor.write_text(
        json.dumps(
            {
                "n": 1000,
                "rank": 600,
                "bias": False,
                "train_loss": 0.2,
                "train_accuracy": 0.9,
                "val_loss": 1.0,
                "val_accuracy": 0.7,
                "test_loss": 1.1,
                "test_accuracy": 0.69,
                "floor_loss": 0.2,
                "n_train": 1000,
                "seed": 0,
            }
        )
    )
    choice = tmp_path / paths.lr_choice("numpy", 100, 1000)
    choice.parent.mkdir(parents=True)
    choice.write_text(
        json.dumps(
            {
                "backend": "numpy",
                "batch_size": 100,
                "n_train": 1000,
                "chosen_lr": 0.01,
                "all_diverged": False,
                "candidates": [
                    {
                        "lr": 0.01,
                        "seeds": [0],
                        "diverged": False,
                        "mean_val_accuracy": 0.79,
                        "mean_val_loss": 0.3,
                        "chosen": True,
                    },
                    {"lr": 0.5, "seeds": [0], "diverged": True, "chosen": False},
                ],
            }
        )
    )
    cons = tmp_path / paths.consistency("tensorflow", 100, 1000, "chosen", 0)
    cons.parent.mkdir(parents=True)
    cons.write_text(
        json.dumps(
            {
                "backend": "tensorflow",
                "reference": "numpy",
                "batch_size": 100,
                "n_train": 1000,
                "lr": 0.01,
                "lr_path": "chosen",
                "seed": 0,
                "dtype": "float32",
                "epochs_compared": 2,
                "max_abs_train_loss_diff": 1e-7,
                "max_rel_train_loss_diff": 4e-7,
                "rel_train_loss_diff_per_epoch": [0.0, 4e-7],
                "final_rel_train_loss_diff": 4e-7,
                "max_abs_train_accuracy_diff": 0.0,
                "max_abs_val_accuracy_diff": 0.0,
                "max_abs_test_accuracy_diff": 0.0001,
                "max_abs_weight_diff": 2e-6,
                "max_rel_weight_diff": 1e-5,
                "tolerances": {"loss_rtol": 1e-3, "weights_atol": 1e-3, "accuracy_atol": 2e-3},
                "verdict": "pass",
                "reasons": [],
            }
        )
    )
    out = {name: tmp_path / paths.table(name) for name in paths.TABLES}
    write_tables(out, runs, [floor], [choice], [cons])
    return read_tables(out)


def test_the_run_key_comes_from_the_summary(tmp_path):
    files = write_run(tmp_path, "pytorch", 10, 500, "chosen", 0.03)
    summary = json.loads(files.summary.read_text())
    assert run_key(summary) == {"backend": "pytorch", "batch_size": 10, "n_train": 500, "lr_path": "chosen", "seed": 0}


def test_runs_table_has_one_row_per_run_with_flags_timings_and_floor(tables):
    runs = tables["runs"].set_index(["backend", "lr_path"])
    assert len(runs) == 3
    ok, div, tf = runs.loc[("numpy", "0.01")], runs.loc[("numpy", "0.5")], runs.loc[("tensorflow", "chosen")]
    assert ok.chosen and not div.chosen and tf.chosen  # framework runs at "chosen" are flagged chosen
    assert (ok.status, bool(ok.diverged)) == ("ok", False)
    assert (div.status, bool(div.diverged), int(div.diverged_epoch)) == ("diverged", True, 1)
    assert math.isnan(div.final_train_loss)  # "nan" in the summary becomes a real NaN
    assert ok.final_train_loss == 0.25 and ok.final_test_accuracy == 0.78
    assert ok.job_seconds == 3.25 and tf.job_seconds == 9.5 and ok.max_rss_mb == pytest.approx(355.33)
    # both NumPy runs were trained by their point's grid job: one job, named by its benchmark file
    assert ok.job == div.job and ok.job.endswith("train_grid/numpy/b100/n1000/seed0") and tf.job != ok.job
    assert (ok.job_runs, div.job_runs, tf.job_runs) == (2, 2, 1)
    assert ok.floor_loss == 0.2 and ok.gap_to_floor == pytest.approx(0.05)
    assert ok.train_seconds == 1.5 and ok.updates == 10


def test_job_timings_count_a_grid_job_once(tables):
    from mnist_sgd.aggregate.job_costs import job_timings
    from mnist_sgd.provenance import training_job

    rows = tables["runs"].astype(str).replace("nan", "").to_dict("records")
    timings = job_timings([], measured=[training_job(r) for r in rows])
    assert timings["n_jobs"] == 2  # the grid job (2 runs) and the TensorFlow run's own job
    assert timings["total_job_seconds"] == pytest.approx(3.25 + 9.5)


def test_epochs_table_has_one_row_per_run_and_epoch(tables):
    epochs = tables["epochs"]
    assert len(epochs) == 3 * 2
    row = epochs[(epochs.backend == "numpy") & (epochs.lr_path == "0.01") & (epochs.epoch == 1)].iloc[0]
    assert row.train_loss == 0.25 and row.updates == 10 and row.lr == 0.01


def test_lr_choice_floor_and_consistency_tables(tables):
    lc = tables["lr_choice"]
    assert list(lc.lr) == [0.01, 0.5]
    assert list(lc.chosen) == [True, False] and list(lc.diverged) == [False, True]
    assert lc.mean_val_accuracy.iloc[0] == 0.79 and pd.isna(lc.mean_val_accuracy.iloc[1])
    fl = tables["floors"].iloc[0]
    assert (fl.n_train, fl.seed, fl.floor_loss, fl["rank"]) == (1000, 0, 0.2, 600)
    c = tables["consistency"].iloc[0]
    assert (c.backend, c.verdict, c.lr_path) == ("tensorflow", "pass", "chosen")
    assert c.max_rel_train_loss_diff == 4e-7 and c.loss_rtol == 1e-3 and c.reasons == ""


def test_a_loss_below_the_least_squares_floor_is_an_error(tmp_path):
    run = write_run(tmp_path, "numpy", 100, 1000, "0.01", 0.01, loss=0.19)  # floor below is 0.2
    floor = tmp_path / "floor.json"
    floor.write_text(json.dumps({"n_train": 1000, "seed": 0, "floor_loss": 0.2, "rank": 600, "bias": False}))
    out = {name: tmp_path / "tables" / f"{name}.csv" for name in paths.TABLES}
    from mnist_sgd.aggregate.tables import BelowFloorError

    with pytest.raises(BelowFloorError, match="1 recorded training losses lie below the least-squares floor"):
        write_tables(out, [run], [floor], [], [])
    assert not (tmp_path / "tables" / "runs.csv").exists()


def test_lr_choice_table_carries_the_bracket_rounds_and_criterion(tmp_path):
    from mnist_sgd.aggregate.lr_choice_table import lr_choice_table

    old = tmp_path / "old.json"  # a file from before the lr search: no bracket recorded
    new = tmp_path / "new.json"
    base = {"backend": "numpy", "n_train": 50000, "all_diverged": False}
    old.write_text(
        json.dumps(
            base
            | {
                "batch_size": 10,
                "chosen_lr": 0.01,
                "candidates": [{"lr": 0.01, "seeds": [0], "diverged": False, "chosen": True, "mean_val_accuracy": 0.8}],
            }
        )
    )
    new.write_text(
        json.dumps(
            base
            | {
                "batch_size": 1,
                "chosen_lr": 0.001,
                "criterion": "mean validation accuracy of the last 5 epochs",
                "rounds": 2,
                "budget_exhausted": True,
                "bracket": {"below": None, "above": 0.003, "closed": False},
                "candidates": [
                    {"lr": 0.0003, "round": 2, "seeds": [0], "diverged": False, "chosen": False},
                    {"lr": 0.001, "round": 0, "seeds": [0], "diverged": False, "chosen": True},
                    {"lr": 0.003, "round": 0, "seeds": [0], "diverged": False, "chosen": False},
                ],
            }
        )
    )
    table = lr_choice_table([old, new])
    one = table[table.batch_size == 1]
    assert one["round"].tolist() == [2, 0, 0]
    assert one.bracket_below.isna().all() and (one.bracket_above == 0.003).all()
    assert not one.bracket_closed.any() and one.budget_exhausted.all() and (one.rounds == 2).all()
    assert set(one.criterion) == {"mean validation accuracy of the last 5 epochs"}
    ten = table[table.batch_size == 10].iloc[0]
    assert pd.isna(ten["round"]) and pd.isna(ten.bracket_closed) and ten.criterion == ""
    # and through the CSV round trip of rule aggregate
    path = tmp_path / "lr_choice.csv"
    table.to_csv(path, index=False)
    back = pd.read_csv(path, dtype={"criterion": str}).fillna({"criterion": ""})
    assert back.bracket_closed.dropna().tolist() == [False, False, False]


def test_the_epochs_table_text_is_what_pandas_writes_and_odd_histories_take_the_slow_path(tmp_path):
    from mnist_sgd.aggregate.tables import epochs_csv, epochs_table, read_runs

    runs = [
        write_run(tmp_path, "numpy", 100, 1000, "0.01", 0.01, loss=0.25, grid_job=True),
        write_run(tmp_path, "numpy", 100, 1000, "0.5", 0.5, status="diverged", grid_job=True),  # "nan" cells
        write_run(tmp_path, "numpy", 10, 1000, "0.001", 0.001, loss=1e-05),
        write_run(tmp_path, "tensorflow", 100, 1000, "chosen", 0.01, loss=0.2500001),
    ]
    data = read_runs(runs)
    table = epochs_table(data)
    assert data.histories.lines is not None  # one header, numbers only: the text path
    assert epochs_csv(data, table) == table.to_csv(index=False)
    # a cell that is not a number: read as NaN (and so a note), written by pandas
    runs[0].history.write_text(runs[0].history.read_text().replace(",0.79,", ",abc,"))
    data = read_runs(runs)
    assert data.histories.lines is None and data.history.val_accuracy.isna().sum() == 1
    table = epochs_table(data)
    assert epochs_csv(data, table) == table.to_csv(index=False)

"""Faults injected into the real workflow on a tiny configuration (issue 11, items 1, 3, 5, 8).

- interrupted work: SIGKILL of the whole ``snakemake`` process group during a download, a
  training job and the PDF rendering, then the documented recovery (``--unlock``, rerun; the
  default profile sets ``--rerun-incomplete``): the numbers equal an uninterrupted run's;
- corrupted cached data: a cached array changed after it was built stops the training job;
- numerical faults: every lr diverging at one B, runs diverging in epoch 1 at every seed, a
  NaN written into a history.csv, a training subset of identical images;
- disk full: a file-size limit (``ulimit -f``) while the arrays are built.

Every run carries a hostile report title and author (issue 11, item 6; more in
tests/test_security.py) and runs with HOME pointed at a temporary folder.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import http.server
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import mirror_environment, snakemake_command
from mnist_sgd import layout
from mnist_sgd.atomic import TEMP_SUFFIX
from mnist_sgd.data.download import ALLOW_HTTP_ENV_VAR, MIRROR_ENV_VAR, MNIST_SHA256
from mnist_sgd.report.sections import TITLES

HOSTILE_TITLE = "<script>alert(1)</script> & SGD"
HOSTILE_AUTHOR = '"; rm -rf ~; echo "'
#: B = 1 diverges at both lrs; B = 100 trains at 0.03 and diverges in epoch 1 at 0.5, at both seeds.
CONFIG = {
    "data": {"n_train": 500, "n_val": 1000, "mirrors": []},  # no public mirror: the local one only
    "training": {"epochs": 3, "seeds": [0, 1]},
    "grid": {"batch_sizes": [1, 100], "subset_sizes": [], "subset_batch_size": 100, "learning_rates": [0.03, 0.5]},
    "frameworks": {"backends": []},
    "lr_search": {"max_rounds": 0, "seeds": "all"},  # the grid only, on both seeds: exactly the runs listed below
    "report": {"title": HOSTILE_TITLE, "author": HOSTILE_AUTHOR},
}
RUNS = [
    layout.run_key("numpy", b, 500, lr, seed) for b in (1, 100) for lr in ("0.03", "0.5") for seed in (0, 1)
]  # fmt: skip
LOCK_MESSAGE = "Directory cannot be locked"


# ---- helpers -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def environment(tmp_path_factory):
    """The local mirror, and HOME in a temporary folder holding a canary file (``rm -rf ~`` would take it)."""
    home = tmp_path_factory.mktemp("home")
    (home / "canary").write_text("still here")
    import matplotlib

    return mirror_environment() | {
        "HOME": str(home),
        # the caches stay where they are, so that fonts are not indexed again
        "MPLCONFIGDIR": matplotlib.get_configdir(),
        "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
    }


def command(workdir: Path, *args: str) -> list[str]:
    return snakemake_command(workdir, CONFIG, "--cores", "2", *args)


def snakemake(workdir: Path, env: dict, *args: str, ok: bool = True, timeout: float = 300):
    result = subprocess.run(command(workdir, *args), env=env, capture_output=True, text=True, timeout=timeout)
    out = result.stdout + result.stderr
    if ok:
        assert result.returncode == 0, out[-4000:]
    return result.returncode, out


def numbers(workdir: Path, key: str):
    """A run's history without the timing columns, and its weight arrays as bytes."""
    with open(workdir / layout.run_file("history.csv", *key_fields(key))) as fh:
        history = [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in csv.DictReader(fh)]
    with np.load(workdir / layout.run_file("weights.npz", *key_fields(key)), allow_pickle=False) as weights:
        arrays = {name: (weights[name].dtype.str, weights[name].shape, weights[name].tobytes()) for name in weights}
    return history, arrays


def key_fields(key: str) -> tuple:
    backend, b, n, lr, seed = key.split("/")
    return backend, b[1:], n[1:], lr[2:], seed[4:]


def leftovers(workdir: Path) -> list[Path]:
    """Temporary files of atomic writes, anywhere in the working directory."""
    return [p for p in workdir.rglob(f"*{TEMP_SUFFIX}") if ".snakemake" not in p.parts]


def incomplete_markers(workdir: Path) -> list[Path]:
    folder = workdir / ".snakemake" / "incomplete"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []


@pytest.fixture(scope="module")
def reference(tmp_path_factory, environment):
    """The whole tiny workflow, uninterrupted."""
    work = tmp_path_factory.mktemp("reference")
    snakemake(work, environment)
    return work


def pdf_text(pdf: Path) -> str:
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\s+", " ", text.replace("\u00ad", ""))


# ---- 1: interrupted work -----------------------------------------------------------


class SlowMirror(http.server.SimpleHTTPRequestHandler):
    """Serves the MNIST folder; train-images slowly (64 KiB per 50 ms), so a kill lands mid-download."""

    started: threading.Event

    def log_message(self, *args):
        pass

    def copyfile(self, source, outputfile):
        slow = "train-images" in self.path
        if slow:
            self.started.set()
        try:
            while chunk := source.read(1 << 16):
                outputfile.write(chunk)
                if slow:
                    time.sleep(0.05)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client was killed


@pytest.fixture
def slow_mirror(environment):
    started = threading.Event()
    handler = functools.partial(
        type("Slow", (SlowMirror,), {"started": started}), directory=environment[MIRROR_ENV_VAR]
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda *a: None
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", started
    server.shutdown()
    server.server_close()


def kill_when(workdir: Path, env: dict, condition, what: str, delay: float = 0.0, timeout: float = 120) -> None:
    """Start the workflow in its own process group; SIGKILL the group once ``condition()`` holds."""
    with open(workdir / "killed.out", "w") as log:
        proc = subprocess.Popen(command(workdir), env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        try:
            while not condition():
                assert proc.poll() is None, f"the workflow ended before {what}:\n" + (workdir / "killed.out").read_text()[-3000:]  # fmt: skip
                assert time.monotonic() < deadline, f"no {what} within {timeout} s"
                time.sleep(0.02)
            time.sleep(delay)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, f"the workflow had ended before the kill ({what})"
    for _ in range(100):  # the jobs were in the same process group: wait until every one is gone
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("processes of the killed workflow survived SIGKILL of its group")


def recover(workdir: Path, env: dict) -> None:
    """The documented recovery: a plain rerun is refused (stale lock); --unlock; the next run goes on."""
    code, out = snakemake(workdir, env, ok=False, timeout=120)
    assert code != 0 and LOCK_MESSAGE in out and "--unlock" in out, out[-3000:]
    snakemake(workdir, env, "--unlock", timeout=120)


@pytest.mark.process
def test_sigkill_during_download_training_and_rendering_then_recovery(reference, environment, slow_mirror, tmp_path):
    work = tmp_path
    url, train_images_started = slow_mirror
    train_images = work / layout.mnist_file("train-images-idx3-ubyte")

    # 1. during the download of train-images (over a slow plain-HTTP mirror, explicitly allowed)
    kill_when(
        work, environment | {MIRROR_ENV_VAR: url, ALLOW_HTTP_ENV_VAR: "1"}, train_images_started.is_set, "download"
    )
    assert not train_images.exists() and incomplete_markers(work)
    recover(work, environment)

    # 2. during a training job (its log is opened before it loads the data)
    kill_when(work, environment, lambda: any((work / "logs").glob("train*/**/*.log")), "training job")
    assert train_images.exists()  # the verified download was kept
    assert incomplete_markers(work)
    recover(work, environment)

    # 3. during the rendering of the report
    render_log = work / layout.log("render_report")
    kill_when(work, environment, render_log.exists, "report rendering", delay=1.0)
    assert not (work / layout.report("pdf")).exists()
    recover(work, environment)

    # the rerun completes; nothing partial is left or used
    snakemake(work, environment)
    assert not incomplete_markers(work) and not leftovers(work)
    for name, sha in MNIST_SHA256.items():
        assert hashlib.sha256((work / layout.mnist_file(name)).read_bytes()).hexdigest() == sha
    for key in RUNS:
        assert numbers(work, key) == numbers(reference, key), key
    for table in ("runs", "floors", "lr_choice"):
        assert _without_timings(work / layout.table(table)) == _without_timings(reference / layout.table(table))
    info = subprocess.run(["pdfinfo", str(work / layout.report("pdf"))], capture_output=True, text=True)
    assert info.returncode == 0 and int(re.search(r"Pages:\s+(\d+)", info.stdout)[1]) >= 5


def _without_timings(table: Path) -> list[dict]:
    with open(table) as fh:
        return [
            {k: v for k, v in row.items() if not k.endswith(("_seconds", "_mb"))} for row in csv.DictReader(fh)
        ]  # fmt: skip


# ---- 3: corrupted cached data --------------------------------------------------------


def copy_workdir(src: Path, dest: Path) -> Path:
    """A copy of a finished working directory, timestamps kept (Snakemake sees it as up to date)."""
    shutil.copytree(src, dest, symlinks=True)
    return dest


@pytest.mark.process
def test_a_changed_cached_array_stops_the_training_job(reference, environment, tmp_path):
    work = copy_workdir(reference, tmp_path / "work")
    flipped, truncated = work / layout.array("val", "images"), work / layout.array("test", "labels")
    for array in (flipped, truncated):
        stat = array.stat()
        data = bytearray(array.read_bytes())
        if array == flipped:
            data[len(data) // 2] ^= 0x01  # one pixel, still a valid float32: only the checksum can tell
        else:
            data = data[: len(data) // 2]
        array.write_bytes(bytes(data))
        os.utime(array, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # silent corruption: the mtime stays
    key = layout.run_key("numpy", 100, 500, "0.03", 0)
    target = layout.run_file("summary.json", *key_fields(key))
    code, out = snakemake(work, environment, target, "--forcerun", target, ok=False)
    # lr 0.03 is one of the grid's: its point's grid job trains it
    log = (work / layout.log("train_grid", layout.grid_job_key("numpy", 100, 500, 0))).read_text()
    assert code != 0
    assert "CorruptCacheError" in log and "Fix: delete results/data/ and rerun snakemake" in log, log[-2000:]
    for array in (layout.array("val", "images"), layout.array("test", "labels")):
        assert f"{array}: " in log
    assert f"{layout.array('train', 'images')}: " not in log  # only the changed files are named
    assert "training RunSettings" not in log  # the job stopped before training
    assert not (work / target).exists()
    # the fix in the message works
    shutil.rmtree(work / "results" / "data")
    snakemake(work, environment, target)
    assert numbers(work, key) == numbers(reference, key)


# ---- 5: numerical faults -----------------------------------------------------------


def read_table(workdir: Path, name: str):
    from mnist_sgd.aggregate.tables import read_tables

    return read_tables({t: workdir / layout.table(t) for t in layout.TABLES})[name]


@pytest.mark.process
def test_every_run_is_in_the_tables_and_the_report_says_what_diverged(reference):
    runs, epochs = read_table(reference, "runs"), read_table(reference, "epochs")
    assert len(runs) == len(RUNS) and len(epochs.groupby(["batch_size", "lr", "seed"])) == len(RUNS)
    b1 = runs[runs.batch_size == 1]
    assert b1.diverged.all() and not b1.chosen.any()  # every lr diverged at B = 1
    fast = runs[(runs.batch_size == 100) & (runs.lr == 0.5)]
    assert len(fast) == 2 and (fast.diverged_epoch == 1).all()  # in epoch 1 at every seed
    assert all(note.startswith("diverged in epoch 1 (training loss ") for note in runs[runs.diverged].note)
    assert (runs[~runs.diverged].note == "").all()
    layout_text = subprocess.run(
        ["pdftotext", "-layout", str(reference / layout.report("pdf")), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert re.search(r"^\s*1\s+all diverged", layout_text, re.M)  # B = 1's row of the batch-size table
    log = (reference / layout.log("render_report")).read_text()
    assert re.search(r"^holds\s+batch_size\.reference_lr_diverges:", log, re.M)  # 0.5 diverged at every B


@pytest.mark.process
def test_hostile_title_and_author_are_text_in_the_report_and_reach_no_shell(reference, environment):
    html = (reference / layout.report("html")).read_text()
    assert "<script>alert(1)" not in html and "<script" not in html  # autoescaped, not markup
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; SGD" in html
    assert "&#34;; rm -rf ~; echo &#34;" in html
    text = pdf_text(reference / layout.report("pdf"))
    assert HOSTILE_TITLE in text and HOSTILE_AUTHOR in text  # verbatim, as text
    assert (Path(environment["HOME"]) / "canary").read_text() == "still here"


@pytest.mark.process
def test_a_nan_written_into_a_history_is_reported_not_dropped(reference, environment, tmp_path):
    work = copy_workdir(reference, tmp_path / "work")
    key = layout.run_key("numpy", 100, 500, "0.03", 0)
    history = work / layout.run_file("history.csv", *key_fields(key))
    rows = list(csv.DictReader(history.open()))
    rows[2]["val_loss"] = "nan"
    with history.open("w") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    before = (work / layout.report("pdf")).stat().st_mtime_ns
    snakemake(work, environment)  # aggregate, figures and the report run again
    assert (work / layout.report("pdf")).stat().st_mtime_ns > before
    runs, epochs = read_table(work, "runs"), read_table(work, "epochs")
    assert len(runs) == len(RUNS)
    row = runs[(runs.batch_size == 100) & (runs.lr == 0.03) & (runs.seed == 0)].iloc[0]
    assert row.status == "ok" and "not finite numbers although the run did not diverge: val_loss at epoch 2" in row.note
    mine = epochs[(epochs.batch_size == 100) & (epochs.lr == 0.03) & (epochs.seed == 0)]
    assert mine.epoch.tolist() == [0, 1, 2, 3] and np.isnan(mine.val_loss.iloc[2])
    assert TITLES["batch_size"] in pdf_text(work / layout.report("pdf"))


@pytest.mark.process
def test_a_training_set_of_identical_images_still_gives_a_report(reference, environment, tmp_path):
    from mnist_sgd.atomic import write_npy

    work = copy_workdir(reference, tmp_path / "work")
    images = work / layout.array("train", "images")
    same = np.repeat(np.load(images, allow_pickle=False)[:1], CONFIG["data"]["n_train"], axis=0)
    manifest = json.loads((work / layout.data_manifest()).read_text())
    manifest["splits"]["train"]["images"]["sha256"] = write_npy(same, images)  # a consistent cache
    (work / layout.data_manifest()).write_text(json.dumps(manifest))
    snakemake(work, environment)  # every job that reads the arrays runs again
    floors, runs = read_table(work, "floors"), read_table(work, "runs")
    assert (floors["rank"] == 1).all()  # X has rank 1: zero variance across images
    assert np.allclose(floors.lambda_max, float((same[0].astype(np.float64) ** 2).sum()))
    assert len(runs) == len(RUNS) and runs.diverged.all()  # every lr is above 2/lambda_max here
    layout_text = subprocess.run(
        ["pdftotext", "-layout", str(work / layout.report("pdf")), "-"], capture_output=True, text=True, check=True
    ).stdout
    for b in CONFIG["grid"]["batch_sizes"]:  # every batch size's row says so
        assert re.search(rf"^\s*{b:,}\s+all diverged", layout_text, re.M), b


# ---- 8: disk full, an output folder that cannot be written ----------------------------

WRITE = """
import sys
from mnist_sgd.atomic import write_atomically
try:
    write_atomically(b"x" * int(sys.argv[2]), sys.argv[1])
except OSError as err:
    print(type(err).__name__, err.errno, err)
"""


def limited(n_bytes: int):
    """A preexec_fn: the child may write no file larger than ``n_bytes`` (``ulimit -f``)."""
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (n_bytes, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


@pytest.mark.process
def test_a_write_beyond_the_file_size_limit_leaves_nothing_behind(tmp_path, repo_root):
    import sys

    dest = tmp_path / "out" / "table.csv"
    dest.parent.mkdir()
    dest.write_bytes(b"the complete previous version")
    result = subprocess.run(
        [sys.executable, "-c", WRITE, str(dest), str(2 << 20)],
        preexec_fn=limited(1 << 20),
        capture_output=True,
        text=True,
        cwd=repo_root,
        timeout=60,
    )
    assert result.stdout.startswith("OutputWriteError 27 "), result.stdout + result.stderr  # EFBIG
    assert f"could not write {dest}" in result.stdout and "File too large" in result.stdout
    assert "Fix: free disk space" in result.stdout
    assert dest.read_bytes() == b"the complete previous version"  # the old file, whole
    assert sorted(p.name for p in dest.parent.iterdir()) == ["table.csv"]  # no temporary left


def test_an_output_folder_that_cannot_be_created_or_written(tmp_path):
    from mnist_sgd.atomic import OutputWriteError, write_atomically

    blocker = tmp_path / "results"
    blocker.write_text("a file where the output folder should be")
    with pytest.raises(OutputWriteError, match=r"could not write .*results/runs/history\.csv .*Fix: "):
        write_atomically(b"data", blocker / "runs" / "history.csv")
    if os.geteuid() == 0:
        return  # root writes into read-only folders: the rest needs an ordinary user
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(OutputWriteError, match="Permission denied"):
            write_atomically(b"data", folder / "weights.npz")
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o755)


@pytest.mark.process
def test_disk_full_while_the_arrays_are_built_then_a_clean_rebuild(reference, environment, tmp_path):
    work = copy_workdir(reference, tmp_path / "work")
    shutil.rmtree(work / "results" / "data")
    target = layout.data_manifest()
    result = subprocess.run(
        command(work, target),
        env=environment,
        preexec_fn=limited(8 << 20),  # the test images (31 MB) do not fit
        capture_output=True,
        text=True,
        timeout=300,
    )
    log = (work / layout.log("build_arrays")).read_text()
    assert result.returncode != 0
    assert f"could not write {layout.array('test', 'images')}" in log and "File too large" in log, log[-3000:]
    assert not (work / target).exists() and not leftovers(work)
    assert not (work / layout.array("test", "images")).exists()
    snakemake(work, environment, target)  # space again: the next run rebuilds the cache
    manifest = json.loads((work / target).read_text())
    assert manifest == json.loads((reference / target).read_text())


def test_aggregation_names_unreadable_run_files_and_notes_odd_ones(tmp_path):
    import pandas as pd

    from mnist_sgd.aggregate.run_notes import (
        METRICS,
        AggregationError,
        check_complete,
        read_history,
        read_summary,
        run_note,
    )

    header = "epoch,updates,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy\n"
    path = tmp_path / "run" / "history.csv"
    path.parent.mkdir()
    for text, message in [("", "unreadable"), (header, "has no rows"), ("epoch,updates\n0,0\n", "lacks the column")]:
        path.write_text(text)
        with pytest.raises(AggregationError, match=rf"{path}.*{message}.*Fix: delete the run's folder"):
            read_history(path)
    (tmp_path / "run" / "summary.json").write_text('{"status": ')
    with pytest.raises(AggregationError, match="summary.json: unreadable"):
        read_summary(tmp_path / "run" / "summary.json")

    path.write_text(header + "0,0,0.5,0.1,0.5,0.1,0.5,0.1\n1,5,0.3,0.8,abc,0.7,0.3,0.7\n")
    summary = {"status": "ok", "diverged_epoch": None, "epochs_run": 2}
    summary |= {f"final_{c}": v for c, v in zip(METRICS, (0.3, 0.8, 0.31, 0.7, 0.3, 0.7))}
    note = run_note(summary, read_history(path))
    assert "not finite numbers although the run did not diverge: val_loss at epoch 1" in note
    assert "last epoch disagrees with summary.json on val_loss" in note
    assert "history.csv has 2 rows up to epoch 1, summary.json says 2 epochs were run" in note

    key = ["backend", "seed"]
    runs = pd.DataFrame({"backend": ["numpy", "numpy"], "seed": [0, 0]})
    with pytest.raises(AggregationError, match="same run key"):
        check_complete(runs, runs, 2, key)
    runs = pd.DataFrame({"backend": ["numpy", "numpy"], "seed": [0, 1]})
    with pytest.raises(AggregationError, match=r"without a row in the epochs table: \[\('numpy', 1\)\]"):
        check_complete(runs, runs.iloc[:1], 2, key)
    with pytest.raises(AggregationError, match="3 runs given but 2 rows"):
        check_complete(runs, runs, 3, key)

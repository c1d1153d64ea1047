"""A small grid through the real Snakemake on a real single-node SLURM cluster (profiles/slurm).

The cluster is started by ``.ci/slurm-cluster.sh start`` (Debian's slurmctld, slurmd, munge;
installed when missing) and stopped at the end only if this session started it. Needs root;
skipped otherwise, except under CI (``CI=true``), where not being able to run it is a failure.

Checks: every training job ran under SLURM, in the SLURM job that Snakemake's output and
command lines say trained it, a job SLURM knows (squeue, sacct or slurmctld's log) and the
run's summary records; with the profile's default per-point groups the runs of one
(backend, B, N') point share a SLURM job and different points do not (per-run jobs and
array tasks pass too: then every Snakemake job has its own). Its numbers are bit-identical to a
local ``--cores 2`` run of the same grid, and a rerun submits nothing.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import REPO_ROOT, local_mnist_mirror
from mnist_sgd import grid, layout

pytestmark = pytest.mark.process

CLUSTER_SCRIPT = REPO_ROOT / ".ci" / "slurm-cluster.sh"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

#: Two batch sizes x two learning rates (NumPy), the PyTorch run at NumPy's chosen lr at
#: the comparison point (B = 100 on the whole, reduced, training set), 2 epochs.
GRID = {
    "data": {"n_train": 5000},
    "training": {"epochs": 2, "seeds": [0]},
    "grid": {"batch_sizes": [50, 100], "subset_sizes": [], "subset_batch_size": 100, "learning_rates": [0.01, 0.03]},
    "frameworks": {"backends": ["pytorch"], "points": "comparison", "learning_rates": "chosen"},
    "lr_search": {"max_rounds": 0},  # the grid only: the search is tested in test_workflow.py
}
TARGETS = [
    layout.lr_choice("numpy", 50, 5000),
    layout.lr_choice("numpy", 100, 5000),
    # the framework run itself, not its comparison: one SLURM round trip (~20 s) less
    layout.run_file("summary.json", "pytorch", 100, 5000, "chosen", 0),
    layout.floor(5000, 0),
]
N_TRAIN_RUNS = 5  # 4 NumPy + 1 PyTorch
N_TRAIN_JOBS = 3  # a grid job (rule train_grid) per NumPy point + the PyTorch run (rule train)

#: What this test changes in profiles/slurm, on the command line (never in the user's file):
#: the CI cluster's partition, no account (a command-line --default-resources replaces the
#: profile's whole block, so memory and runtime are repeated) and a short wait before status
#: checks. The status command is the profile's own (squeue: the CI cluster has no accounting). The plugin (2.8.0) checks
#: that many seconds after a check that saw a job finish, then 10 s longer after each check
#: that saw none: with 3, a SLURM job is seen within about 3, 16 or 39 s of its submission.
#: A point's job here takes 11-14 s (a Snakemake start-up per job and one more per run), so
#: 3 sees it at the second check; with 2 (second check at 12-14 s) 4 of 11 runs on the
#: shared CI machine missed it and took 56-59 s instead of 34-37. Real clusters want the
#: plugin's default, 40. (Snakemake's own --seconds-between-status-checks is not used: the
#: plugin sets its own interval before the first wait.)
CI_OVERRIDES = [
    "--default-resources",
    "slurm_partition=debug",
    "mem_mb=2000",
    "runtime=15",
    "--slurm-init-seconds-before-status-checks",
    "3",
]


def _cannot_run(reason: str):
    """Skip with the reason, or fail under CI, where this test must really run."""
    if IN_CI:
        pytest.fail(f"SLURM test cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"SLURM test skipped: {reason}")


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running single-node SLURM cluster; stopped afterwards only if started here."""
    if os.geteuid() != 0:
        _cannot_run("needs root (installs Debian's slurmctld/slurmd/munge and starts them)")
    if shutil.which("apt-get") is None and shutil.which("slurmctld") is None:
        _cannot_run("SLURM is not installed and there is no apt-get to install it")
    already = subprocess.run(["bash", str(CLUSTER_SCRIPT), "status"], capture_output=True, text=True)
    start = subprocess.run(["bash", str(CLUSTER_SCRIPT), "start"], capture_output=True, text=True, timeout=900)
    if start.returncode != 0:
        _cannot_run(f".ci/slurm-cluster.sh start failed (exit {start.returncode}):\n{start.stdout}\n{start.stderr}")
    yield
    if already.returncode != 0:  # not running before this session: stop what we started
        stop = subprocess.run(["bash", str(CLUSTER_SCRIPT), "stop"], capture_output=True, text=True, timeout=120)
        assert stop.returncode == 0, stop.stdout + stop.stderr


def mirror_env() -> dict[str, str]:
    mirror = local_mnist_mirror()
    if mirror is None:
        pytest.skip("no MNIST mirror (set MNIST_MIRROR)")
    return os.environ | {"MNIST_MIRROR": mirror}


def command(workdir: Path, targets: list[str], *args: str) -> list[str]:
    """Snakemake on the config in workdir/config.yaml; targets first: --default-resources takes
    every following word as a resource."""
    return [sys.executable, "-m", "snakemake", *targets, "--snakefile", str(REPO_ROOT / "Snakefile"),
            "--directory", str(workdir), "--configfile", str(workdir / "config.yaml"), *args]  # fmt: skip


def snakemake(workdir: Path, *args: str, timeout: int = 900) -> tuple[subprocess.CompletedProcess, float]:
    """Run the workflow on the tiny grid in workdir; the process and its wall time in seconds."""
    env = mirror_env()
    t0 = time.monotonic()
    result = subprocess.run(
        command(workdir, TARGETS, *args),
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    return result, time.monotonic() - t0


def output_of(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def grid_runs(slurm_cluster, tmp_path_factory):
    """(local workdir, SLURM workdir, SLURM run's output, local seconds, SLURM seconds)."""
    dirs = {}
    for name in ("local", "slurm"):
        dirs[name] = tmp_path_factory.mktemp(f"grid-{name}")
        (dirs[name] / "config.yaml").write_text(yaml.safe_dump(GRID))
    local, local_seconds = snakemake(dirs["local"], "--workflow-profile", "none", "--cores", "2")
    assert local.returncode == 0, output_of(local)[-4000:]
    slurm, slurm_seconds = snakemake(
        dirs["slurm"], "--workflow-profile", str(REPO_ROOT / "profiles" / "slurm"), *CI_OVERRIDES
    )
    assert slurm.returncode == 0, output_of(slurm)[-6000:]
    return dirs["local"], dirs["slurm"], output_of(slurm), local_seconds, slurm_seconds


def summaries(workdir: Path) -> dict[str, dict]:
    """Every run's summary.json by its folder relative to results/runs/."""
    root = workdir / "results" / "runs"
    return {str(p.parent.relative_to(root)): json.loads(p.read_text()) for p in sorted(root.rglob("summary.json"))}


#: The plugin's line per plain or group submission (a group job's Snakemake id is a UUID),
#: naming the SLURM log of that job; one line per array submission.
SUBMITTED = re.compile(r"Job \S+ has been submitted with SLURM jobid (\d+) \(log: ([^)]+)\)")
SUBMITTED_ARRAY = re.compile(
    r"Submitted array job with Snakemake IDs [\d,]+ and SLURM job ID (\d+)\. "
    r"The individual task IDs are (\d+)-(\d+)\."
)
#: Snakemake's line for every job it saw finish (under SLURM: when the status check saw it).
FINISHED = re.compile(r"Finished jobid: \S+ \(Rule: (\w+)\)")


def submissions(output: str) -> list[str]:
    """SLURM job ids (``<id>`` or ``<id>_<task>``) the plugin reported, one per sbatch or task."""
    ids = [job for job, _ in SUBMITTED.findall(output)]
    for job, first, last in SUBMITTED_ARRAY.findall(output):
        ids += [f"{job}_{task}" for task in range(int(first), int(last) + 1)]
    return ids


def sbatch_calls(output: str) -> int:
    """How many times the plugin called sbatch (an array is one call)."""
    return len(SUBMITTED.findall(output)) + len(SUBMITTED_ARRAY.findall(output))


def slurm_logs(workdir: Path, output: str) -> dict[str, Path]:
    """SLURM id -> the SLURM log of that job, as the plugin reported it (array tasks:
    ``logs/slurm/rule_<rule>/<id>_<task>.log``)."""
    logs = {job: Path(log) for job, log in SUBMITTED.findall(output)}
    for job, first, last in SUBMITTED_ARRAY.findall(output):
        for task in range(int(first), int(last) + 1):
            logs[f"{job}_{task}"] = next((workdir / "logs" / "slurm").rglob(f"{job}_{task}.log"))
    return logs


def runs_of_target(target: str) -> set[str]:
    """``train:backend=numpy,batch=50,...,lr=0.01,seed=0`` -> the run's folder under
    results/runs/; ``train_grid:backend=numpy,batch=50,n=5000,seed=0`` -> the folder of each
    of the grid's lrs there (a grid job trains them all); any other job -> none."""
    rule, _, fields = target.partition(":")
    key = dict(item.split("=", 1) for item in fields.split(","))
    if rule == "train":
        return {layout.run_key(**key)}
    if rule == "train_grid":
        return {layout.run_key(**key, lr=grid.format_lr(lr)) for lr in GRID["grid"]["learning_rates"]}
    return set()


def target_jobs(log: Path) -> set[str]:
    """The jobs the Snakemakes that SLURM started for a job were told to run: the
    ``--target-jobs`` of every ``Command:`` line (Snakemake's header) in the job's SLURM log.
    A plain job's Snakemake starts one more for its job, a group job's one more per run (the
    first names all its runs); an array task's first Snakemake only dispatches (its command
    carries ``--slurm-jobstep-array-execs``, its targets are the array's first job's), and
    the one it starts names the task's own job."""
    targets = set()
    for line in log.read_text().splitlines():
        if not line.strip().startswith("Command:") or "--slurm-jobstep-array-execs" in line:
            continue
        words = line.split()
        start = words.index("--target-jobs") + 1
        end = next((i for i in range(start, len(words)) if words[i].startswith("--")), len(words))
        targets |= {word.strip("'\"") for word in words[start:end]}
    return targets


def train_jobs_of(workdir: Path, output: str) -> dict[str, set[str]]:
    """SLURM id -> the runs (folders under results/runs/) it trained, from Snakemake's own
    output (which SLURM job each submission became, and its log) and command lines (the
    target jobs of the Snakemake each SLURM job ran). The runs of one Snakemake job (a grid
    job's several) per SLURM job (per-job submission, array task), or those of several
    (profiles/slurm's default: the jobs of a (backend, B, N') point)."""
    jobs = {}
    for slurm_id, log in slurm_logs(workdir, output).items():
        assert log.is_file(), f"SLURM job {slurm_id}: no log {log}"
        runs = set().union(*(runs_of_target(t) for t in target_jobs(log)))
        if runs:
            jobs[slurm_id] = runs
    return jobs


def point_of(run: str) -> str:
    """``numpy/b50/n5000/lr0.01/seed0`` -> ``numpy/b50/n5000``: its (backend, B, N') point."""
    return run.rsplit("/", 2)[0]


def groups_per_point() -> bool:
    """Whether profiles/slurm groups the training runs per (backend, B, N') point (its default)."""
    profile = yaml.safe_load((REPO_ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    return any(
        g.startswith("train=") and all(w in g for w in ("{backend}", "{batch}", "{n}"))
        for g in profile.get("groups") or []
    )


def slurmctld_log() -> Path | None:
    shown = subprocess.run(["scontrol", "show", "config"], capture_output=True, text=True)
    found = re.search(r"^SlurmctldLogFile\s*=\s*(\S+)", shown.stdout, re.M)
    return Path(found.group(1)) if found else None


def slurm_job(slurm_id: str) -> dict[str, str]:
    """What SLURM says about a finished job: squeue (finished jobs stay MinJobAge = 300 s),
    else sacct (clusters with accounting), else slurmctld's log. Keys: state, and where squeue
    or sacct knows them, workdir and comment."""
    fields = ["state", "workdir", "comment"]
    shown = subprocess.run(
        ["squeue", "-h", "--states=all", "-j", slurm_id, "-o", "%T|%Z|%k"], capture_output=True, text=True
    )
    if shown.returncode == 0 and shown.stdout.strip():
        return dict(zip(fields, shown.stdout.strip().splitlines()[0].split("|", 2)))
    acct = subprocess.run(
        ["sacct", "-n", "-X", "-P", "-j", slurm_id, "-o", "State,WorkDir,Comment"], capture_output=True, text=True
    )
    if acct.returncode == 0 and acct.stdout.strip():
        return dict(zip(fields, acct.stdout.strip().splitlines()[0].split("|", 2)))
    log = slurmctld_log()
    # an array task appears as JobId=<array id>_<task>(<own id>)
    job = re.escape(slurm_id) + (r"\(\d+\)" if "_" in slurm_id else r"(?![\d_])")
    if log is not None and log.is_file():
        text = log.read_text(errors="replace")
        if re.search(rf"_job_complete: JobId={job} WEXITSTATUS 0\b", text):
            return {"state": "COMPLETED"}
        if re.search(rf"JobId={job}", text):
            return {"state": "not COMPLETED (slurmctld log)"}
    pytest.fail(f"SLURM does not know job {slurm_id} (squeue, sacct, slurmctld log)")


def test_every_training_job_ran_under_slurm(grid_runs):
    local_dir, slurm_dir, output, _, _ = grid_runs
    runs = summaries(slurm_dir)
    assert len(runs) == N_TRAIN_RUNS, sorted(runs)
    # Snakemake saw every training job finish (a group job's jobs are reported one by one).
    finished = FINISHED.findall(output)
    assert finished.count("train") + finished.count("train_grid") == N_TRAIN_JOBS, output[-4000:]

    # The SLURM side: every training run in exactly one SLURM job (or array task), from this
    # workflow's folder, finished; a job trains runs of one (backend, B, N') point only.
    train_jobs = train_jobs_of(slurm_dir, output)
    trained = [run for job_runs in train_jobs.values() for run in job_runs]
    assert sorted(trained) == sorted(runs), f"each run once in one SLURM job: {train_jobs}"
    for slurm_id, job_runs in train_jobs.items():
        assert len({point_of(run) for run in job_runs}) == 1, f"SLURM job {slurm_id} mixes points: {job_runs}"
    submitted = submissions(output)
    assert len(submitted) == len(set(submitted)), submitted
    for slurm_id in train_jobs:
        job = slurm_job(slurm_id)
        assert job["state"] == "COMPLETED", (slurm_id, job)
        if "workdir" in job:
            assert Path(job["workdir"]) == slurm_dir, (slurm_id, job)
            assert job["comment"].startswith("rule_") and "train" in job["comment"], (slurm_id, job)

    # The run's own record (summary.json "execution": host and SLURM ids, null outside SLURM)
    # names the SLURM job that Snakemake's output says trained it.
    local_runs = summaries(local_dir)
    recorded = {}
    for path, summary in runs.items():
        execution = summary["execution"]
        assert execution["host"], path
        assert execution["slurm_job_id"], f"{path}: not run under SLURM: {execution}"
        if execution.get("slurm_array_task_id") not in (None, ""):
            recorded[path] = f"{execution['slurm_array_job_id']}_{execution['slurm_array_task_id']}"
        else:
            recorded[path] = str(execution["slurm_job_id"])
        assert path in train_jobs.get(recorded[path], ()), f"{path} records SLURM job {recorded[path]}: {train_jobs}"
        assert local_runs[path]["execution"]["slurm_job_id"] in (None, ""), local_runs[path]["execution"]

    # One SLURM job per point with the profile's groups (the grid here has at most 10 jobs
    # per point, all ready together): runs of one point share a job, different points do
    # not. Without groups (per-job submission, arrays) every Snakemake job has its own.
    points = sorted({point_of(run) for run in runs})
    ids_of = {p: {recorded[r] for r in runs if point_of(r) == p} for p in points}
    if groups_per_point():
        assert all(len(ids) == 1 for ids in ids_of.values()), ids_of
        assert len({next(iter(ids)) for ids in ids_of.values()}) == len(points), ids_of
    else:  # every Snakemake job its own SLURM job (a grid job's runs share theirs)
        assert len(set(recorded.values())) == N_TRAIN_JOBS, recorded


def test_numbers_equal_a_local_run(grid_runs):
    local_dir, slurm_dir, *_ = grid_runs
    runs = sorted(summaries(local_dir))
    assert runs == sorted(summaries(slurm_dir))
    for run in runs:
        a, b = local_dir / "results" / "runs" / run, slurm_dir / "results" / "runs" / run

        def strip(path):  # timings differ, numbers must not
            with open(path, newline="") as fh:
                return [{k: v for k, v in row.items() if not k.endswith("_seconds")} for row in csv.DictReader(fh)]

        assert strip(a / "history.csv") == strip(b / "history.csv"), run
        with np.load(a / "weights.npz") as wa, np.load(b / "weights.npz") as wb:
            assert sorted(wa.files) == sorted(wb.files), run
            for key in wa.files:
                assert wa[key].dtype == wb[key].dtype and wa[key].tobytes() == wb[key].tobytes(), (run, key)


def test_rerun_submits_nothing(grid_runs):
    _, slurm_dir, output, local_seconds, slurm_seconds = grid_runs
    rerun, _ = snakemake(slurm_dir, "--workflow-profile", str(REPO_ROOT / "profiles" / "slurm"), *CI_OVERRIDES)
    assert rerun.returncode == 0, output_of(rerun)[-4000:]
    assert "Nothing to be done" in output_of(rerun), output_of(rerun)[-4000:]
    assert submissions(output_of(rerun)) == []
    assert "sbatch" not in output_of(rerun)
    # Visible in pytest's summary: what SLURM costs on this grid (target: within 3x).
    warnings.warn(
        f"tiny grid ({N_TRAIN_RUNS} training runs in {N_TRAIN_JOBS} jobs): local --cores 2 {local_seconds:.0f} s, "
        f"SLURM {slurm_seconds:.0f} s ({slurm_seconds / local_seconds:.1f}x, "
        f"{sbatch_calls(output)} sbatch calls for {len(submissions(output))} SLURM jobs)",
        stacklevel=2,
    )


# ---- a retry asks for more memory and time ------------------------------------------------

PROFILE = ["--workflow-profile", str(REPO_ROOT / "profiles" / "slurm"), *CI_OVERRIDES]
#: The grid job of NumPy at B = 50 (rule train_grid, 2 lrs, a group job of its point) and the
#: least-squares floor: what the first attempt asks for (workflow/rules/train.smk), doubled
#: on the retry (MB, minutes).
RETRIED = {
    "point_numpy_b50_n5000": {"mem_mb": 2000, "minutes": 5 * len(GRID["grid"]["learning_rates"])},
    "least_squares_floor": {"mem_mb": 1500, "minutes": 10},
}


def scontrol_job(slurm_id: str) -> dict[str, str]:
    """``scontrol show job`` as a dict (finished jobs stay MinJobAge = 300 s on the CI cluster)."""
    shown = subprocess.run(["scontrol", "-o", "show", "job", slurm_id], capture_output=True, text=True, check=True)
    return dict(re.findall(r"(\w+)=(\S*)", shown.stdout))


def minutes(limit: str) -> int:
    """SLURM's TimeLimit ``[D-]HH:MM:SS`` in minutes."""
    days, _, clock = limit.rpartition("-")
    h, m, s = (int(x) for x in clock.split(":"))
    return int(days or 0) * 1440 + h * 60 + m + (s > 0)


def test_a_killed_job_is_resubmitted_with_more_memory_and_time(grid_runs, tmp_path):
    """The first SLURM job of the NumPy grid job and of the floor is killed (scancel, as a node
    failure or a limit would); Snakemake submits each again with twice the memory and time,
    it succeeds, and its numbers equal the local run's."""
    local_dir = grid_runs[0]
    workdir = tmp_path / "retry"
    workdir.mkdir()
    (workdir / "config.yaml").write_text(yaml.safe_dump(GRID))
    targets = [layout.lr_choice("numpy", 50, 5000), layout.floor(5000, 0)]
    log = tmp_path / "snakemake.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            command(workdir, targets, *PROFILE), env=mirror_env(), stdout=out, stderr=subprocess.STDOUT
        )
        killed: dict[str, str] = {}  # RETRIED key -> SLURM id of the first attempt
        deadline = time.monotonic() + 300
        while proc.poll() is None and len(killed) < len(RETRIED) and time.monotonic() < deadline:
            queue = subprocess.run(["squeue", "-h", "-o", "%i|%k|%T"], capture_output=True, text=True).stdout
            for line in queue.splitlines():
                slurm_id, comment, state = line.split("|")
                key = next((k for k in RETRIED if k in comment), None)
                if key and key not in killed and state in ("PENDING", "CONFIGURING", "RUNNING"):
                    subprocess.run(["scancel", slurm_id], check=True)
                    killed[key] = slurm_id
            time.sleep(0.2)
        proc.wait(timeout=600)
    output = log.read_text()
    assert proc.returncode == 0, output[-6000:]
    assert sorted(killed) == sorted(RETRIED), (killed, output[-4000:])

    jobs = {slurm_id: scontrol_job(slurm_id) for slurm_id in submissions(output)}
    for key, first_id in killed.items():
        attempts = [i for i, job in jobs.items() if key in job["Comment"]]
        assert attempts[0] == first_id and len(attempts) == 2, (key, attempts)
        first, second = jobs[attempts[0]], jobs[attempts[1]]
        assert first["JobState"] == "CANCELLED" and second["JobState"] == "COMPLETED", (first, second)
        asked = {"mem_mb": int(first["MinMemoryNode"].rstrip("M")), "minutes": minutes(first["TimeLimit"])}
        assert asked == RETRIED[key], (key, first)
        again = {"mem_mb": int(second["MinMemoryNode"].rstrip("M")), "minutes": minutes(second["TimeLimit"])}
        assert again == {k: 2 * v for k, v in RETRIED[key].items()}, (key, second)

    # the retried jobs' results, bit for bit those of the local run
    for lr in GRID["grid"]["learning_rates"]:
        run = layout.run_key("numpy", 50, 5000, grid.format_lr(lr), 0)
        for name in layout.RUN_FILES:
            a, b = local_dir / "results" / "runs" / run / name, workdir / "results" / "runs" / run / name
            if name == "history.csv":
                with open(a, newline="") as fa, open(b, newline="") as fb:
                    rows = [[{k: v for k, v in r.items() if not k.endswith("_seconds")} for r in csv.DictReader(f)]
                            for f in (fa, fb)]  # fmt: skip
                assert rows[0] == rows[1], run
            elif name == "weights.npz":
                with np.load(a) as wa, np.load(b) as wb:
                    assert all(wa[k].tobytes() == wb[k].tobytes() for k in wa.files), run
    floor = layout.floor(5000, 0)
    assert json.loads((workdir / floor).read_text()) == json.loads((local_dir / floor).read_text())


# ---- no silent wait on a cluster without accounting -----------------------------------------


def test_the_shipped_profile_queries_squeue():
    profile = yaml.safe_load((REPO_ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    assert profile["slurm-status-command"] == "squeue"
    assert profile["slurm-init-seconds-before-status-checks"] * 3 <= 300  # SLURM's default MinJobAge


@pytest.mark.parametrize(
    ("setting", "fix"),
    [
        (["--slurm-status-command", "sacct"], "--slurm-status-command squeue"),
        # squeue, but MinJobAge (300 s here) < 3 x 200 s: the plugin would fall back to sacct
        (["--slurm-init-seconds-before-status-checks", "200"], "--slurm-init-seconds-before-status-checks 100"),
    ],
)
def test_without_accounting_a_run_that_would_ask_sacct_stops_at_once(slurm_cluster, tmp_path, setting, fix):
    accounting = subprocess.run(["sacct", "-n", "-X"], capture_output=True, text=True)
    if accounting.returncode == 0:
        pytest.skip("this cluster has accounting: sacct answers")
    (tmp_path / "config.yaml").write_text(yaml.safe_dump(GRID))
    result, seconds = snakemake(tmp_path, *PROFILE, *setting, timeout=120)
    output = output_of(result)
    assert result.returncode != 0, output[-3000:]
    assert "sacct: Slurm accounting storage is disabled" in output, output[-3000:]
    assert "Fix:" in output and fix in output, output[-3000:]
    assert submissions(output) == [] and "sbatch" not in output
    assert seconds < 60

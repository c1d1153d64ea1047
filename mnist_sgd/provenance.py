"""Where the numbers came from: config, code version, software, data, machine, job timings.

:func:`collect` gathers everything into one JSON-serialisable dict (rule ``provenance``
writes it to ``results/provenance.json``; the report's appendix prints it).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from mnist_sgd import layout
from mnist_sgd.aggregate.job_costs import job_timings

#: Distributions whose versions the report lists (missing ones are listed as not installed).
PACKAGES = [
    "snakemake",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "jinja2",
    "weasyprint",
    "pygments",
    "pyyaml",
    "jsonschema",
    "tensorflow-cpu",
    "tensorflow",
    "torch",
]


def git_state(repo: str | Path) -> dict:
    """Commit, branch and whether the work tree differs from it (``dirty``, with the changed paths)."""

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout

    try:
        # "XY path" per line; X may be a space, so the output is not stripped before slicing
        status = git("status", "--porcelain", "--untracked-files=normal")
        changed = [line[3:] for line in status.splitlines() if line.strip()]
        return {
            "commit": git("rev-parse", "HEAD").strip(),
            "branch": git("rev-parse", "--abbrev-ref", "HEAD").strip(),
            "dirty": bool(changed),
            "changed_files": changed,
        }
    except (OSError, subprocess.CalledProcessError) as err:
        return {
            "commit": None,
            "branch": None,
            "dirty": None,
            "changed_files": [],
            "error": f"not a git checkout or git missing: {err}",
        }


def package_versions(names: list[str] = PACKAGES) -> dict[str, str | None]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine() -> dict:
    """CPU model, logical cores (all and usable by this process), memory, OS."""
    cpu = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gb = int(line.split()[1]) / 1024**2
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu_model": cpu or platform.processor() or None,
        "logical_cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gb": mem_gb,
        "os": platform.platform(),
        "hostname": platform.node(),
    }


def training_job(run: dict) -> dict:
    """A row of the runs table (CSV text values) as a job of :func:`job_timings`: the job that
    trained the run, named as its benchmark file is (``train/<run key>``, or
    ``train_grid/<grid job key>`` for a job that trained several runs)."""
    key = layout.run_key(run["backend"], run["batch_size"], run["n_train"], run["lr_path"], run["seed"])
    cost = {k: float(run[k]) if run[k] != "" else math.nan for k in ("job_seconds", "max_rss_mb", "job_end_seconds")}
    return {"job": run.get("job") or f"train/{key}", "seconds": cost["job_seconds"], "max_rss_mb": cost["max_rss_mb"],
            "end": cost["job_end_seconds"]}  # fmt: skip


def collect(
    config: dict,
    repo: str | Path,
    manifest_path: str | Path,
    sources_path: str | Path,
    benchmark_files: list[str | Path],
    runs: list[dict] = (),
) -> dict:
    """Everything the appendix shows, as one dict. The job timings come from ``benchmark_files``
    (the least-squares floors') and, for the training jobs, from ``runs`` (rows of the runs
    table, which rule aggregate filled from their benchmark files)."""
    manifest = json.loads(Path(manifest_path).read_text())
    sources = json.loads(Path(sources_path).read_text())
    return {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": config,
        "git": git_state(repo),
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "packages": package_versions(),
        "machine": machine(),
        "data": {
            "mirrors": sources.get("mirrors", []),
            "files": sources.get("files", []),
            "source_sha256": manifest.get("source_sha256", {}),
            "arrays": {
                split: {kind: info[kind] for kind in ("images", "labels")}
                for split, info in manifest.get("splits", {}).items()
            },
        },
        "timings": job_timings(benchmark_files, measured=[training_job(r) for r in runs]),
    }

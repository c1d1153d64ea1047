"""Snakemake's benchmark files: the wall time and peak memory of each job.

A benchmark file (``benchmark:`` of a rule; paths: :func:`mnist_sgd.layout.benchmark`) is a
TSV with one row per repetition and, among others, the columns ``s`` (wall seconds) and
``max_rss`` (peak resident set size, MB; "NA" on some systems).
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from mnist_sgd import layout


def read_benchmark(path: str | Path) -> dict:
    """``seconds`` and ``max_rss_mb`` (NaN when the file or the value is missing, e.g. a run
    made outside Snakemake) of one benchmark file, averaged over its repetitions."""
    path = Path(path)
    if not path.exists():
        return {"seconds": math.nan, "max_rss_mb": math.nan}
    table = pd.read_csv(path, sep="\t")
    rss = pd.to_numeric(table["max_rss"], errors="coerce")
    return {"seconds": float(table["s"].mean()), "max_rss_mb": float(rss.mean())}


def job_timings(benchmark_files: list[str | Path], root: str | Path = layout.BENCHMARKS) -> dict:
    """Per-job wall seconds and peak memory, their total, and the elapsed time from the first
    benchmarked job's start to the last one's end (from file times; spans pauses between
    separate invocations of Snakemake). A job is named by its file below ``root``."""
    jobs, starts, ends = [], [], []
    for path in sorted(map(Path, benchmark_files)):
        cost = read_benchmark(path)
        try:
            name = path.relative_to(root).with_suffix("").as_posix()
        except ValueError:
            name = path.with_suffix("").as_posix()
        rss = cost["max_rss_mb"]
        jobs.append({"job": name, "seconds": cost["seconds"], "max_rss_mb": None if math.isnan(rss) else rss})
        end = path.stat().st_mtime
        starts.append(end - cost["seconds"])
        ends.append(end)
    return {
        "jobs": jobs,
        "n_jobs": len(jobs),
        "total_job_seconds": sum(j["seconds"] for j in jobs),
        "elapsed_seconds": (max(ends) - min(starts)) if jobs else None,
    }

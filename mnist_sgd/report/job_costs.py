"""Snakemake's benchmark files: the wall time and peak memory of each job.

A benchmark file (``benchmark:`` of a rule; paths: :func:`mnist_sgd.layout.benchmark`) is a
TSV with one row per repetition and, among others, the columns ``s`` (wall seconds) and
``max_rss`` (peak resident set size, MB; "NA" on some systems).
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

from mnist_sgd import layout


def _mean(cells: list[str]) -> float:
    """Mean of the cells that are numbers ("NA", "-": not measured); NaN when none is."""
    values = []
    for cell in cells:
        try:
            value = float(cell)
        except ValueError:
            continue
        if not math.isnan(value):
            values.append(value)
    return sum(values) / len(values) if values else math.nan


def read_benchmark(path: str | Path) -> dict:
    """``seconds`` and ``max_rss_mb`` (NaN when the file or the value is missing, e.g. a run
    made outside Snakemake) of one benchmark file, averaged over its repetitions.

    Read with the csv module: a large grid has thousands of these two-line files, and pandas
    spends about 2 ms on each."""
    path = Path(path)
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
    except FileNotFoundError:
        return {"seconds": math.nan, "max_rss_mb": math.nan}
    return {"seconds": _mean([r["s"] for r in rows]), "max_rss_mb": _mean([r["max_rss"] for r in rows])}


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

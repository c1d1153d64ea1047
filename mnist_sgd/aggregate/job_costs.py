"""Snakemake's benchmark files: the wall time and peak memory of each job.

A benchmark file (``benchmark:`` of a rule; paths: :func:`mnist_sgd.layout.benchmark`) is a
TSV with one row per repetition and, among others, the columns ``s`` (wall seconds) and
``max_rss`` (peak resident set size, MB; "NA" on some systems).
"""

from __future__ import annotations

import csv
import math
import os
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
    """``seconds`` and ``max_rss_mb`` of one benchmark file, averaged over its repetitions, and
    ``end``, when the job ended (the file's time, Unix seconds); NaN when the file or the value
    is missing (e.g. a run made outside Snakemake).

    Read with the csv module: a large grid has thousands of these two-line files, and pandas
    spends about 2 ms on each."""
    path = Path(path)
    try:
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
            end = os.fstat(fh.fileno()).st_mtime
    except FileNotFoundError:
        return {"seconds": math.nan, "max_rss_mb": math.nan, "end": math.nan}
    return {"seconds": _mean([r["s"] for r in rows]), "max_rss_mb": _mean([r["max_rss"] for r in rows]), "end": end}


def job_name(path: str | Path, root: str | Path = layout.BENCHMARKS) -> str:
    """A job as its benchmark file names it: the path below ``root`` without ``.tsv``
    (``train_grid/numpy/b100/n50000/seed0``); the whole path without it when outside ``root``."""
    path = Path(path)
    try:
        return path.relative_to(root).with_suffix("").as_posix()
    except ValueError:
        return path.with_suffix("").as_posix()


def job_timings(
    benchmark_files: list[str | Path], root: str | Path = layout.BENCHMARKS, measured: list[dict] = ()
) -> dict:
    """Per-job wall seconds and peak memory, their total, and the elapsed time from the first
    job's start to the last one's end (from file times; spans pauses between separate
    invocations of Snakemake). A job is named by its benchmark file below ``root``.

    ``measured``: jobs whose benchmark files were read already (the training jobs, by rule
    aggregate into the runs table), as {"job", "seconds", "max_rss_mb", "end"} (NaN: unknown);
    a job that trained several runs comes once per run, and counts once."""
    jobs, starts, ends = [], [], []
    for path in sorted(map(Path, benchmark_files)):
        measured = [*measured, read_benchmark(path) | {"job": job_name(path, root)}]
    seen = set()
    for job in measured:
        if job["job"] in seen:
            continue
        seen.add(job["job"])
        rss, end = job["max_rss_mb"], job["end"]
        jobs.append({"job": job["job"], "seconds": job["seconds"], "max_rss_mb": None if math.isnan(rss) else rss})
        if not (math.isnan(end) or math.isnan(job["seconds"])):
            starts.append(end - job["seconds"])
            ends.append(end)
    return {
        "jobs": jobs,
        "n_jobs": len(jobs),
        "total_job_seconds": sum(j["seconds"] for j in jobs),
        "elapsed_seconds": (max(ends) - min(starts)) if ends else None,
    }

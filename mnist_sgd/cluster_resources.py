"""Suggest a cluster profile's ``set-resources:`` block from measured Snakemake benchmarks.

    python -m mnist_sgd.cluster_resources results/benchmarks [--margin 1.5]

Reads every ``<benchmarks>/<rule>/**/*.tsv`` that Snakemake's ``benchmark:`` directive
wrote (columns ``s`` = wall seconds, ``max_rss`` = peak resident memory in MB) and prints,
per rule, the peak memory and the longest wall time times the margin: ``mem_mb`` rounded
up to 100 MB, ``runtime`` in whole minutes (at least 1), the units the SLURM executor
plugin expects. Paste the block into ``profiles/slurm/profile.yaml``.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RuleNeed:
    """The measured peak of one rule over all its benchmark files."""

    rule: str
    jobs: int  # benchmark files read
    max_seconds: float  # longest wall time of one job, s
    max_rss_mb: float  # largest peak resident memory of one job, MB


def read_benchmark(path: Path) -> tuple[float, float]:
    """(wall seconds, max_rss MB) of one benchmark TSV; the maximum over its rows (``repeat``).

    A value Snakemake could not measure ("NA", or "-" for a job that ran too briefly)
    counts as 0.
    """
    seconds = rss = 0.0
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    if not rows or "s" not in rows[0] or "max_rss" not in rows[0]:
        raise ValueError(f"{path}: not a Snakemake benchmark file (need the columns 's' and 'max_rss')")
    for row in rows:
        seconds = max(seconds, _number(row["s"]))
        rss = max(rss, _number(row["max_rss"]))
    return seconds, rss


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def rule_needs(benchmarks: Path) -> list[RuleNeed]:
    """Per rule (the first folder under ``benchmarks``), the peak over its TSV files, sorted by rule."""
    if not benchmarks.is_dir():
        raise FileNotFoundError(f"{benchmarks}: no such folder (expected results/benchmarks of a finished run)")
    needs = []
    for rule_dir in sorted(p for p in benchmarks.iterdir() if p.is_dir()):
        files = sorted(rule_dir.rglob("*.tsv"))
        if not files:
            continue
        measured = [read_benchmark(f) for f in files]
        needs.append(RuleNeed(rule_dir.name, len(files), max(s for s, _ in measured), max(m for _, m in measured)))
    return needs


def suggested_resources(need: RuleNeed, margin: float) -> dict[str, int]:
    """``{"mem_mb": ..., "runtime": ...}``: peak × margin, MB rounded up to 100, minutes rounded up, ≥ 1."""
    mem_mb = max(100, math.ceil(need.max_rss_mb * margin / 100) * 100)
    runtime = max(1, math.ceil(need.max_seconds * margin / 60))
    return {"mem_mb": mem_mb, "runtime": runtime}


def set_resources_yaml(needs: list[RuleNeed], margin: float) -> str:
    """The ``set-resources:`` block (YAML text) with the measurement behind each rule as a comment."""
    lines = [f"# suggested by: python -m mnist_sgd.cluster_resources (margin {margin:g})", "set-resources:"]
    for need in needs:
        res = suggested_resources(need, margin)
        lines.append(
            f"  {need.rule}:  # {need.jobs} job(s): peak {need.max_rss_mb:.0f} MB, longest {need.max_seconds:.1f} s"
        )
        lines.append(f"    mem_mb: {res['mem_mb']}")
        lines.append(f"    runtime: {res['runtime']}  # minutes")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_sgd.cluster_resources",
        description="Print a set-resources: block for profiles/slurm/profile.yaml from benchmark TSV files.",
    )
    parser.add_argument("benchmarks", type=Path, help="folder with <rule>/**/*.tsv, e.g. results/benchmarks")
    parser.add_argument("--margin", type=float, default=1.5, help="factor on the measured peaks (default 1.5)")
    args = parser.parse_args(argv)
    if args.margin < 1:
        parser.error(f"--margin {args.margin}: must be at least 1 (a factor on the measured peak)")
    try:
        needs = rule_needs(args.benchmarks)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if not needs:
        print(f"error: no benchmark files under {args.benchmarks}/<rule>/ (run the workflow first)", file=sys.stderr)
        return 1
    sys.stdout.write(set_resources_yaml(needs, args.margin))
    return 0


if __name__ == "__main__":
    sys.exit(main())

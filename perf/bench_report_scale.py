"""Planning time and the report rules' time on a grid of many seeds (default 40: 2,520 runs).

Usage (from the repository root; needs the MNIST mirror, ``$MNIST_MIRROR`` or ../shared/mnist):

    python -m perf.bench_report_scale [--seeds 40] [--repeats 3] [--workdir DIR] [--no-metadata]

In a working directory of its own (a temporary one, or ``--workdir``, which is kept) it

1. builds the cached data with the real Snakemake (rules download_mnist, mnist_sources,
   build_arrays) for ``config.yaml`` with ``training.seeds: [0 .. seeds-1]``;
2. times ``snakemake -n`` with no run present (the plan of a fresh grid);
3. fabricates every file the training side writes (:mod:`perf.fake_grid`: runs, their
   benchmark files, the lr search, lr choices, floors, comparisons), and records Snakemake's
   metadata for them as a real run leaves it (``snakemake --touch``, unless ``--no-metadata``;
   metadata makes planning slower: each job's params, code and inputs are compared with it);
4. checks that Snakemake then plans exactly the report rules (the fabricated files are
   complete and up to date), and times ``snakemake -n`` with every run present;
5. runs the report rules (aggregate, paired_tests, figures, provenance, render_report)
   through the real Snakemake ``--repeats`` times (``--forcerun aggregate`` after the first),
   and reads each rule's seconds from its benchmark file (``results/benchmarks/<rule>/``).

It prints every measurement and a table of medians. The machine may be shared: repeat, and
read the medians. These are figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from mnist_sgd import layout
from mnist_sgd.aggregate.job_costs import read_benchmark
from mnist_sgd.config import validate_config

REPO = Path(__file__).resolve().parents[1]
#: The rules downstream of training, in the order they run.
REPORT_RULES = ("aggregate", "paired_tests", "figures", "provenance", "render_report")
#: ``snakemake --touch`` with the touch executor's pause of 0.1 s per job shortened to 2 ms (it
#: keeps successive mtimes apart on coarse file systems): 2,900 jobs in 1 minute instead of 6.
TOUCH = """
import sys
import snakemake.api
import snakemake.executors.touch as touch
from snakemake.cli import main
touch.Executor.SLEEPING_TIME = 0.002
sys.argv = ["snakemake", *sys.argv[1:]]
main()
"""


def mnist_mirror() -> str:
    mirror = os.environ.get("MNIST_MIRROR") or str(REPO.parent / "shared" / "mnist")
    if not Path(mirror).exists() and "://" not in mirror:
        sys.exit(f"no MNIST mirror at {mirror}: set MNIST_MIRROR to a folder with the four MNIST .gz files")
    return mirror


def grid_config(seeds: int) -> dict:
    """config.yaml with ``seeds`` seeds, validated (defaults filled in)."""
    config = yaml.safe_load((REPO / "config.yaml").read_text())
    config["training"]["seeds"] = list(range(seeds))
    # the largest grid: every seed trains every lr tried, and the frameworks train every seed
    config["lr_search"]["seeds"] = config["frameworks"]["seeds"] = "all"
    return validate_config(config)


def snakemake(work: Path, *args: str, python: list[str] | None = None, check: bool = True) -> tuple[float, str]:
    """Run Snakemake on ``work`` (its config.yaml); return (wall seconds, stdout + stderr)."""
    t0 = time.perf_counter()
    result = subprocess.run(
        [*(python or [sys.executable, "-m", "snakemake"]), "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(work), *args, "--configfile", str(work / "config.yaml")],
        capture_output=True, text=True, env=os.environ | {"MNIST_MIRROR": mnist_mirror()},
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    out = result.stdout + result.stderr
    if check and result.returncode != 0:
        sys.exit(f"snakemake {' '.join(args)} failed ({result.returncode}):\n{out[-4000:]}")
    return seconds, out


def job_counts(out: str) -> dict[str, int]:
    """The "Job stats" table of a dry run: {rule: jobs}."""
    counts = {}
    table = out.split("Job stats:", 1)[1] if "Job stats:" in out else ""
    for line in table.splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    counts.pop("total", None)
    return counts


def plan_times(work: Path, repeats: int, label: str) -> list[float]:
    """Wall seconds of ``snakemake -n`` (Python start, import, parsing, DAG), ``repeats`` times."""
    times = []
    for _ in range(repeats):
        seconds, _ = snakemake(work, "-n", "--quiet")
        times.append(seconds)
        print(f"  plan, {label}: {seconds:.1f} s", flush=True)
    return times


def report_run(work: Path, cores: int, force: bool) -> dict[str, float]:
    """One run of the report rules: the invocation's wall seconds and each rule's (benchmark files)."""
    seconds, out = snakemake(work, "--cores", str(cores), *(["--forcerun", "aggregate"] if force else []))
    ran = set(re.findall(r"\(Rule: (\w+)\)", out))
    if ran - {"all"} != set(REPORT_RULES):
        sys.exit(f"expected the report rules to run, ran {sorted(ran)}:\n{out[-3000:]}")
    times = {rule: read_benchmark(work / layout.benchmark(rule, rule))["seconds"] for rule in REPORT_RULES}
    return times | {"total": seconds}


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=40, help="seeds of the grid (40: 2,520 runs)")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of each measurement (medians)")
    parser.add_argument("--cores", type=int, default=2, help="--cores of the report run")
    parser.add_argument("--workdir", type=Path, help="working directory (kept); default: a temporary one")
    parser.add_argument("--no-metadata", action="store_true", help="skip recording Snakemake's metadata")
    args = parser.parse_args()

    from perf.fake_grid import fabricate  # after argparse: --help without NumPy

    config = grid_config(args.seeds)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="bench-report-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()):
        sys.exit(f"{work} is not empty: give a new or empty --workdir")
    (work / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    print(f"{platform.node()}: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}; working directory {work}")
    try:
        seconds, _ = snakemake(work, "--cores", str(args.cores), layout.data_manifest(), layout.mnist_sources())
        print(f"cached data built by the workflow: {seconds:.1f} s", flush=True)
        plan_empty = plan_times(work, args.repeats, "no run present")

        t0 = time.perf_counter()
        counts = fabricate(work, config)
        print(f"fabricated in {time.perf_counter() - t0:.1f} s: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
        if not args.no_metadata:
            seconds, _ = snakemake(work, "--cores", str(args.cores), "--touch", "--forceall", "--omit-from",
                                   "aggregate", "--quiet", python=[sys.executable, "-c", TOUCH])  # fmt: skip
            print(f"Snakemake metadata recorded (--touch): {seconds:.1f} s", flush=True)
        _, out = snakemake(work, "-n")
        planned = job_counts(out)
        if set(planned) - {"all"} != set(REPORT_RULES):
            sys.exit(f"with every run present Snakemake should plan the report rules only, it plans {planned}:\n"
                     + out[-4000:])  # fmt: skip
        plan_full = plan_times(work, args.repeats, "every run present")

        runs = []
        for i in range(args.repeats):
            runs.append(report_run(work, args.cores, force=i > 0))
            print("  report rules: " + ", ".join(f"{k} {v:.1f} s" for k, v in runs[-1].items()), flush=True)
        pdf = work / layout.report("pdf")
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = re.search(r"Pages:\s+(\d+)", pages)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)

    n_runs = counts["runs"]
    print()
    print(f"{args.seeds} seeds, {n_runs:,} training runs; medians of {args.repeats} (each value in brackets), "
          f"--cores {args.cores}, load average now {os.getloadavg()[0]:.2f}")  # fmt: skip
    rows = [
        ("snakemake -n, no run present", plan_empty),
        (f"snakemake -n, all {n_runs:,} runs present", plan_full),
        *[(f"rule {rule}", [r[rule] for r in runs]) for rule in REPORT_RULES],
        ("report rules, whole snakemake run (plan included)", [r["total"] for r in runs]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"| {'step':<{width}} | seconds | {'each':<22} |")
    print(f"|{'-' * (width + 2)}|---------|{'-' * 24}|")
    for name, values in rows:
        each = " ".join(f"{v:.1f}" for v in values)
        print(f"| {name:<{width}} | {median(values):7.1f} | {each:<22} |")
    if pages:
        print(f"\nthe report: {pages[1]} pages" + (f", {pdf}" if args.workdir else ""))


if __name__ == "__main__":
    main()

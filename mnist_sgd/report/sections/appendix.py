"""The appendix: the code that downloads the data and the compiled kernel that trained the runs,
how the report reads its statistical tests, the runs with irregular records, the software,
machine and data files, the job timings and the configuration."""

from __future__ import annotations

import math
import re

import yaml

from mnist_sgd import grid
from mnist_sgd.data import dataset, download, idx
from mnist_sgd.report.claims import Claims
from mnist_sgd.report.formats import count_words, fmt_int, fmt_lr, fmt_seconds, join_words
from mnist_sgd.report.queries import ReportInputs
from mnist_sgd.report.sections.sgd import listings
from mnist_sgd.stats import ALPHA
from mnist_sgd.train import compiled_kernel

#: The functions that download, parse and cache the data.
DATA_FUNCTIONS = (
    download.fetch_verified,
    download.decompress_if_gzip,
    idx.parse_idx,
    dataset.flatten_and_scale,
    dataset.build_arrays,
    dataset.one_hot,
)
#: The compiled kernel that trained the runs.
KERNEL_FUNCTIONS = (compiled_kernel._scores, compiled_kernel.sgd_epoch)
#: Beyond this many benchmarked jobs the timings are grouped per (backend, B, N').
TIMING_ROWS_PER_JOB = 40
#: The paired tests the report reads, by family, and where.
TEST_FAMILIES = {
    "batch": "between batch sizes",
    "subset": "between training-set sizes",
    "backend": "between frameworks",
}


def natural_key(text: str) -> list:
    """Sort key that orders the numbers inside a text by value: n500 before n10000."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def timing_rows(provenance: dict) -> list[dict]:
    jobs = sorted(provenance["timings"]["jobs"], key=lambda j: natural_key(j["job"]))
    return [
        {
            "job": j["job"],
            "seconds": fmt_seconds(j["seconds"]),
            "rss": "–" if j["max_rss_mb"] is None else f"{j['max_rss_mb']:,.0f} MB",
        }
        for j in jobs
    ]


def timing_groups(runs) -> list[dict]:
    """Training jobs per (backend, B, N'): runs and jobs, the jobs' total and longest wall time, peak memory."""
    rows = []
    for (backend, b, n), g in runs.groupby(["backend", "batch_size", "n_train"], sort=True):
        rss, n_runs = g.max_rss_mb.max(), len(g)
        g = g.drop_duplicates("job") if "job" in g else g  # one job trained several of these runs
        rows.append(
            {
                "key": f"{grid.BACKEND_NAMES.get(backend, backend)}, B = {fmt_int(int(b))}, N′ = {fmt_int(int(n))}",
                "runs": fmt_int(n_runs),
                "count": fmt_int(len(g)),
                "total": fmt_seconds(float(g.job_seconds.sum())),
                "max": fmt_seconds(float(g.job_seconds.max())),
                "rss": "–" if math.isnan(rss) else f"{rss:,.0f} MB",
            }
        )
    return rows


def irregular_runs(runs) -> list[str]:
    """One sentence per run whose record holds more than a divergence (a non-finite value in its
    history, a history that disagrees with its summary)."""
    if "note" not in runs:
        return []
    out = []
    for _, r in runs[runs.note.str.contains("history.csv", regex=False)].iterrows():
        name = grid.BACKEND_NAMES.get(r.backend, r.backend)
        key = f"{name}, B = {fmt_int(int(r.batch_size))}, N′ = {fmt_int(int(r.n_train))}, lr = {fmt_lr(float(r.lr))}"
        out.append(f"{key}, seed {int(r.seed)}: {r.note}.")
    return out


def where_jobs_ran(runs) -> str:
    """On which hosts the training runs ran, and how many under SLURM."""
    if "host" not in runs or not len(runs):
        return ""
    hosts = runs.host.replace("", "unknown").value_counts()
    on = join_words([f"{fmt_int(int(count))} on {host}" for host, count in hosts.items()])
    slurm = runs[runs.slurm_job_id != ""]
    text = f"The {count_words(len(runs), 'training run')} ran {on}"
    if len(slurm):
        return text + f"; {fmt_int(len(slurm))} as SLURM jobs ({count_words(slurm.slurm_job_id.nunique(), 'job id')})."
    return text + ", none under SLURM."


class _ConfigDumper(yaml.SafeDumper):
    """YAML with lists of numbers or short words on one line: 40 seeds take 2 lines, not 40."""


_ConfigDumper.add_representer(
    list,
    lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq",
        data,
        flow_style=all(isinstance(x, (int, float)) or (isinstance(x, str) and len(x) <= 20) for x in data),
    ),
)


def config_yaml(config: dict) -> str:
    """The configuration as the appendix prints it (YAML that reads back to ``config``)."""
    return yaml.dump(config, Dumper=_ConfigDumper, sort_keys=False, allow_unicode=True, width=90)


def facts(inp: ReportInputs) -> dict:
    claims = Claims("appendix")
    runs, prov = inp.runs, inp.provenance
    irregular = irregular_runs(runs)
    claims.check(
        "regular",
        "every run's record is regular (no non-finite value outside a divergence)",
        not irregular,
        per_seed=True,
    )
    tests = inp.tests
    families = []
    if tests is not None and len(tests):
        for kind, where in TEST_FAMILIES.items():
            k = int((tests.kind == kind).sum())
            if k:
                families.append(f"{count_words(k, 'test')} {where}")
    jobs = prov.get("timings", {}).get("jobs", [])
    return {
        "claims": claims,
        "data_code": listings(DATA_FUNCTIONS),
        "kernel_code": listings(KERNEL_FUNCTIONS),
        "kernel_lanes": fmt_int(compiled_kernel.LANES),
        "irregular": irregular,
        "families": join_words(families),
        "alpha": f"{ALPHA:g}",
        "timing_rows": timing_rows(prov) if len(jobs) <= TIMING_ROWS_PER_JOB else [],
        "timing_groups": timing_groups(runs),
        "per_job": len(jobs) <= TIMING_ROWS_PER_JOB,
        "where": where_jobs_ran(runs),
        "config_yaml": config_yaml(prov.get("config", inp.config)),
    }

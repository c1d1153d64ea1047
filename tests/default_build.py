"""The aggregated tables of a real default build, kept in tests/data/default_build/, so that the
tests can check the report's claims on the default configuration without a 5-minute build.

Refresh after a change that changes the default build's numbers (run ``make report`` first):

    .venv/bin/python tests/default_build.py results
"""

from __future__ import annotations

import gzip
import json
import shutil
import sys
from pathlib import Path

import pandas as pd
import yaml

from mnist_sgd import layout
from mnist_sgd.aggregate.tables import read_tables
from mnist_sgd.config import validate_config
from mnist_sgd.report.queries import ReportInputs

HERE = Path(__file__).parent / "data" / "default_build"
REPO = Path(__file__).resolve().parents[1]
#: The files kept besides the tables (names under results/ and resources/).
EXTRA = {
    "paired_tests": layout.paired_tests(),
    "step_timing": "results/tables/step_timing.csv",
    "manifest": layout.data_manifest(),
    "provenance": layout.provenance(),
    "sources": layout.mnist_sources(),
}


def refresh(results_root: Path) -> None:
    """Copy the tables and records of the build under ``results_root``'s parent (the workflow's
    working directory) into tests/data/default_build/, gzipped."""
    work = Path(results_root).resolve().parent
    HERE.mkdir(parents=True, exist_ok=True)
    files = {t: layout.table(t) for t in layout.TABLES} | EXTRA
    for rel in files.values():
        src = work / rel
        if not src.exists():
            print(f"skipped {rel}: not built")
            continue
        with open(src, "rb") as fin, gzip.GzipFile(HERE / (Path(rel).name + ".gz"), "wb", mtime=0) as fout:
            shutil.copyfileobj(fin, fout)
        print(f"kept {rel}")


def _path(rel: str) -> Path:
    return HERE / (Path(rel).name + ".gz")


def inputs() -> ReportInputs:
    """The default build's report inputs, with the configuration of config.yaml."""
    config = validate_config(yaml.safe_load((REPO / "config.yaml").read_text()))
    tables = read_tables({t: _path(layout.table(t)) for t in layout.TABLES})

    def records(name):
        with gzip.open(_path(EXTRA[name]), "rt") as f:
            return json.load(f)

    timing = _path(EXTRA["step_timing"])
    return ReportInputs(
        tables=tables,
        config=config,
        manifest=records("manifest"),
        sources=records("sources"),
        provenance=records("provenance"),
        tests=pd.read_csv(_path(EXTRA["paired_tests"])),
        step_timing=pd.read_csv(timing) if timing.exists() else None,
    )


if __name__ == "__main__":
    refresh(Path(sys.argv[1] if len(sys.argv) > 1 else "results"))

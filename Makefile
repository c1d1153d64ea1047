# mnist-sgd-report: `make report` builds the report, `make test` runs the tests.
# Every target that runs Python first calls setup/bootstrap.sh, which creates .venv
# (Python 3.11-3.13 + requirements.txt) and the Debian packages only when they are missing.
#
# Variables:  CORES=2            cores given to Snakemake
#             SNAKEMAKE_ARGS=    more Snakemake options, e.g. SNAKEMAKE_ARGS="--dry-run"
#             PYTEST_ARGS=       pytest options, e.g. PYTEST_ARGS="-x -k download"
#             BENCH_ARGS=        options of perf.bench_report_scale, e.g. BENCH_ARGS="--seeds 10 --repeats 1"
#             MNIST_MIRROR=      folder or URL with the MNIST .gz files, tried first
#             PYTHON=            the interpreter setup/bootstrap.sh builds .venv with (Python 3.11-3.13),
#                                e.g. PYTHON=/usr/bin/python3.12 make report; used only when .venv is created

.DEFAULT_GOAL := help
SHELL := /bin/bash

CORES ?= 2
SNAKEMAKE_ARGS ?=
PYTEST_ARGS ?=
BENCH_ARGS ?=

VENV := .venv
# .venv's interpreter. Not named PYTHON: that is the user's choice of interpreter for
# setup/bootstrap.sh, which make passes on to it in the environment.
VENV_PYTHON := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake
SNAKEFMT := $(VENV)/bin/snakefmt
RUFF := $(VENV)/bin/ruff
SNAKEFILES := Snakefile workflow/rules

.PHONY: help bootstrap report draft quick test test-fast lint format bench bench-scale unlock clean

help: ## show this help
	@echo "mnist-sgd-report targets:"
	@awk -F ':.*## ' '/^[a-z-]+:.*## / {printf "  make %-11s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))
	@echo "variables: CORES=$(CORES) SNAKEMAKE_ARGS=... PYTEST_ARGS=... MNIST_MIRROR=/path/to/mnist PYTHON=/path/to/python3.X"

bootstrap: ## create .venv and install what is missing (idempotent)
	@bash setup/bootstrap.sh

report: bootstrap ## run the workflow: results/report/report.html and report.pdf
	$(SNAKEMAKE) --cores $(CORES) $(SNAKEMAKE_ARGS)

draft: bootstrap ## a draft report from the runs there are (results/report/draft.html, draft.pdf), marked as such
	$(SNAKEMAKE) --cores $(CORES) $(SNAKEMAKE_ARGS) results/report/draft.html results/report/draft.pdf

quick: bootstrap ## the same with config/quick.yaml (about a minute from cached data)
	$(SNAKEMAKE) --cores $(CORES) --configfile config/quick.yaml $(SNAKEMAKE_ARGS)

test: bootstrap ## run the tests (pytest), all of them
	$(VENV_PYTHON) -m pytest $(PYTEST_ARGS)

test-fast: bootstrap ## the tests that start no program and need no MNIST data (under a minute)
	$(VENV_PYTHON) -m pytest -m "not process and not mnist" $(PYTEST_ARGS)

lint: bootstrap ## ruff (Python), snakefmt --check, snakemake --lint, no number typed into the report's prose
	$(RUFF) check .
	$(RUFF) format --check .
	$(SNAKEFMT) --check $(SNAKEFILES)
	$(SNAKEMAKE) --lint
	$(VENV_PYTHON) -m mnist_sgd.report.number_lint

format: bootstrap ## reformat the Python (ruff) and the Snakefiles (snakefmt)
	$(RUFF) check --fix .
	$(RUFF) format .
	$(SNAKEFMT) $(SNAKEFILES)

bench: bootstrap ## timing benchmarks (prints figures; needs results/data from a workflow run)
	$(VENV_PYTHON) -m perf.bench_sgd
	$(VENV_PYTHON) -m perf.bench_lockstep
	$(VENV_PYTHON) -m perf.bench_floor
	$(VENV_PYTHON) -m perf.bench_backends

bench-scale: bootstrap ## plan and report-rule times on a fabricated 40-seed grid (2,520 runs; about 8 minutes)
	$(VENV_PYTHON) -m perf.bench_report_scale $(BENCH_ARGS)

unlock: bootstrap ## after a crash or kill -9: remove the stale lock (only when no snakemake runs here)
	$(SNAKEMAKE) --unlock $(SNAKEMAKE_ARGS)
	@echo "unlocked; now rerun (make report / make quick): unfinished jobs run again (--rerun-incomplete)"

clean: ## remove results/, logs/ and .snakemake/ (keeps resources/ and .venv)
	rm -rf results/ logs/ .snakemake/

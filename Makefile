# mnist-sgd-report: `make report` builds the report, `make test` runs the tests.
# Every target that runs Python first calls scripts/bootstrap.sh, which creates .venv
# (Python 3.11 + requirements.txt) and the Debian packages only when they are missing.
#
# Variables:  CORES=2            cores given to Snakemake
#             SNAKEMAKE_ARGS=    more Snakemake options, e.g. SNAKEMAKE_ARGS="--dry-run"
#             PYTEST_ARGS=       pytest options, e.g. PYTEST_ARGS="-x -k download"
#             MNIST_MIRROR=      folder or URL with the MNIST .gz files, tried first

.DEFAULT_GOAL := help
SHELL := /bin/bash

CORES ?= 2
SNAKEMAKE_ARGS ?=
PYTEST_ARGS ?=

VENV := .venv
PYTHON := $(VENV)/bin/python
SNAKEMAKE := $(VENV)/bin/snakemake
SNAKEFMT := $(VENV)/bin/snakefmt
SNAKEFILES := Snakefile workflow/rules

.PHONY: help bootstrap report quick test lint format clean

help: ## show this help
	@echo "mnist-sgd-report targets:"
	@awk -F ':.*## ' '/^[a-z]+:.*## / {printf "  make %-10s %s\n", $$1, $$2}' $(firstword $(MAKEFILE_LIST))
	@echo "variables: CORES=$(CORES) SNAKEMAKE_ARGS=... PYTEST_ARGS=... MNIST_MIRROR=/path/to/mnist"

bootstrap: ## create .venv and install what is missing (idempotent)
	@bash scripts/bootstrap.sh

report: bootstrap ## run the workflow: results/report/report.html and report.pdf
	$(SNAKEMAKE) --cores $(CORES) $(SNAKEMAKE_ARGS)

quick: bootstrap ## the same with config/quick.yaml (a one-minute run)
	$(SNAKEMAKE) --cores $(CORES) --configfile config/quick.yaml $(SNAKEMAKE_ARGS)

test: bootstrap ## run the tests (pytest)
	$(PYTHON) -m pytest $(PYTEST_ARGS)

lint: bootstrap ## snakefmt --check and snakemake --lint
	$(SNAKEFMT) --check $(SNAKEFILES)
	$(SNAKEMAKE) --lint

format: bootstrap ## reformat Snakefile and workflow/rules with snakefmt
	$(SNAKEFMT) $(SNAKEFILES)

clean: ## remove results/, logs/ and .snakemake/ (keeps resources/ and .venv)
	rm -rf results/ logs/ .snakemake/

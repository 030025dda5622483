# policy-compare — `make report` runs the main job, `make test` runs the tests. `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := .make
SRC := $(shell find src -type f \( -name '*.py' -o -name '*.yaml' -o -name '*.csv' -o -name '*.txt' \) 2>/dev/null)
RAW := $(wildcard data/raw/*)

## Create the virtual environment and install the package with its test tools (only when pyproject changes)
install: $(STAMP)/install
$(STAMP)/install: pyproject.toml
	@mkdir -p $(STAMP)
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON) (Python >= 3.11) on PATH, or: make PYTHON=python3 ..."; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,fast]"
	@touch $@

## Build data/processed from data/raw (only when raw files or the code changed)
data: $(STAMP)/data
$(STAMP)/data: $(STAMP)/install $(RAW) $(SRC)
	$(PY) -m compare build --raw data/raw --out data/processed
	@touch $@

## Main job: environment, data/processed, executed notebooks and HTML briefings
report: data
	$(PY) -m compare report

## Run the whole test suite (installs headless Chromium + Noto CJK fonts for the browser tests when missing)
test: $(STAMP)/install test-tools
	$(PY) -m pytest -q

## What the tests need beyond Python: Debian's chromium and fonts-noto-cjk (checked every run)
test-tools:
	@./scripts/ensure-test-tools

## Lint and check formatting
lint: $(STAMP)/install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

## Format the code
format: $(STAMP)/install
	$(VENV)/bin/ruff format src tests benchmarks
	$(VENV)/bin/ruff check --fix src tests benchmarks

## Benchmarks (print timings; not part of the tests)
bench: $(STAMP)/data
	$(PY) benchmarks/bench_build.py

## Remove processed data, reports and stamps (keeps the virtual environment)
clean:
	rm -rf data/processed/* reports $(STAMP)/data
	touch data/processed/.gitkeep

## Remove everything generated, including the virtual environment
distclean: clean
	rm -rf $(VENV) $(STAMP)

## List targets
help:
	@awk '/^## /{desc=substr($$0,4); next} /^[a-z][a-zA-Z_-]*:/{if(desc){split($$1,t,":"); printf "  make %-10s %s\n", t[1], desc; desc=""}}' $(MAKEFILE_LIST)

.PHONY: install data report test test-tools lint format bench clean distclean help

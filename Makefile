# Everything a fresh machine needs: `make demo` and `make test` create .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-all bench ui clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is required"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/cin-pipeline demo

test: $(STAMP)
	@bash scripts/ensure_chromium.sh
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/cin-pipeline bench

ui: $(STAMP)
	$(VENV)/bin/cin-pipeline ui

clean:
	rm -rf data/landing data/staging data/quarantine data/audit data/publication data/warehouse.duckdb .dagster_home

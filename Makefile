# Everything a fresh machine needs: `make demo` and `make test` create .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-all bench ui clean fidelity

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

# Long (tens of minutes, roughly an hour on 2 cores; not measured), not part of `make test`: a
# national run 2012-2024 at full scale into data/fidelity/ (its own DAGSTER_HOME; the demo's data
# is left alone), then every published cell and LAIT measure compared with the real published
# files (../shared/reference/published).
FIDELITY_DIR := data/fidelity
fidelity: $(STAMP)
	@mkdir -p $(FIDELITY_DIR)
	CIN_DATA_DIR=$(FIDELITY_DIR) DAGSTER_HOME=$(abspath $(FIDELITY_DIR))/.dagster_home \
		$(VENV)/bin/cin-pipeline demo --years 2012-2024 --scale 1.0 --seed 11
	set -o pipefail; CIN_DATA_DIR=$(FIDELITY_DIR) $(VENV)/bin/cin-pipeline compare \
		--csv $(FIDELITY_DIR)/comparison.csv --lait-csv $(FIDELITY_DIR)/lait.csv \
		--headline-csv $(FIDELITY_DIR)/headline.csv --catalogue-csv $(FIDELITY_DIR)/catalogue.csv | tee $(FIDELITY_DIR)/comparison.txt

clean:
	rm -rf data/landing data/staging data/quarantine data/audit data/publication data/warehouse.duckdb .dagster_home

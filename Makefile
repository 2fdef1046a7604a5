# Everything a fresh machine needs: `make demo` and `make test` create .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test test-all bench ui ui-postgres postgres-stop clean fidelity

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
	@bash scripts/ensure_postgres.sh
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

bench: $(STAMP)
	$(VENV)/bin/cin-pipeline bench

ui: $(STAMP)
	$(VENV)/bin/cin-pipeline ui

# The same instance on PostgreSQL (dagster-postgres): $CIN_DAGSTER_POSTGRES_URL if set, else the
# project's own server on a cluster in data/postgres (Debian's postgresql, installed if missing;
# a unix socket in that folder, no TCP port; run as the `postgres` user when make runs as root).
# The server keeps running after the UI stops: `make postgres-stop`.
ui-postgres: $(STAMP)
	@bash scripts/ensure_postgres.sh
	$(VENV)/bin/cin-pipeline ui --postgres

postgres-stop: $(STAMP)
	$(VENV)/bin/cin-pipeline postgres stop

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

# data/postgres (the instance on PostgreSQL) is left alone: `make postgres-stop`, then remove it.
clean:
	rm -rf data/landing data/staging data/quarantine data/audit data/publication data/warehouse.duckdb .dagster_home

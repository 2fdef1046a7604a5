#!/usr/bin/env bash
# Make sure Debian's PostgreSQL server programs are on this machine, for the Dagster instance on
# PostgreSQL (`make ui-postgres`, `cin-pipeline postgres`) and its test
# (cin_pipeline_tests/test_postgres_instance.py).
#
# Debian keeps initdb, pg_ctl and postgres in /usr/lib/postgresql/<version>/bin, off PATH; the
# project runs them from there on a cluster of its own (data/postgres, or a temporary folder in the
# test), never Debian's own cluster. This script installs the `postgresql` package when no initdb is
# found and is a silent no-op otherwise. It never fails the build: if PostgreSQL cannot be installed
# (no apt-get, not root, no network) it says why on stderr and exits 0, and the test skips with the
# reason.
#
# The package's post-install script may create and try to start Debian's default cluster
# (/var/lib/postgresql/<version>/main on port 5432); the project does not use it. Where services
# cannot be started (a container), it stays stopped.
#
# Usage: scripts/ensure_postgres.sh          (CIN_POSTGRES_BIN=/path/to/bin overrides the lookup)
set -uo pipefail

find_initdb() {
  local candidate
  if [ -n "${CIN_POSTGRES_BIN:-}" ] && [ -x "${CIN_POSTGRES_BIN}/initdb" ]; then
    return 0
  fi
  for candidate in /usr/lib/postgresql/*/bin/initdb; do
    if [ -x "$candidate" ]; then
      return 0
    fi
  done
  command -v initdb >/dev/null 2>&1
}

find_initdb && exit 0

# shellcheck source=apt_install.sh
source "$(dirname "$0")/apt_install.sh"
if apt_install ensure_postgres "PostgreSQL (initdb)" "the PostgreSQL instance test will be skipped" postgresql \
  && ! find_initdb; then
  echo "ensure_postgres: postgresql was installed but no initdb was found; the PostgreSQL instance test will be skipped" >&2
fi
exit 0

#!/usr/bin/env bash
# Make sure a headless Chromium is on this machine for the web-UI test (pytest -m ui).
#
# Playwright cannot download its own browser here, so the test drives Debian's `chromium`
# package (/usr/bin/chromium) through Playwright for Python. This script installs that package
# when it is missing and is a silent no-op when it is present. It never fails the build: if the
# browser cannot be installed (no apt-get, not root, no network) it says why on stderr and exits 0,
# and cin_pipeline_tests/test_ui_webserver.py skips with the reason.
#
# Usage: scripts/ensure_chromium.sh          (CIN_CHROMIUM=/path/to/chromium overrides the lookup)
set -uo pipefail

find_chromium() {
  local candidate
  for candidate in "${CIN_CHROMIUM:-}" /usr/bin/chromium /usr/bin/chromium-browser; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      return 0
    fi
  done
  return 1
}

find_chromium && exit 0

# shellcheck source=apt_install.sh
source "$(dirname "$0")/apt_install.sh"
# fonts-liberation: metric-compatible sans fonts so the UI (and its screenshot) renders legibly.
if apt_install ensure_chromium chromium "the web-UI test will be skipped" chromium fonts-liberation \
  && ! find_chromium; then
  echo "ensure_chromium: chromium was installed but not found; the web-UI test will be skipped" >&2
fi
exit 0

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

note() { echo "ensure_chromium: $*" >&2; }

if ! command -v apt-get >/dev/null 2>&1; then
  note "chromium is missing and apt-get is unavailable; the web-UI test will be skipped"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    note "chromium is missing and this user cannot run apt-get as root; the web-UI test will be skipped"
    exit 0
  fi
fi

LOG="$(mktemp -t ensure_chromium.XXXXXX.log)"
export DEBIAN_FRONTEND=noninteractive
APT_OPTS=(-q -y -o Dpkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
# fonts-liberation: metric-compatible sans fonts so the UI (and its screenshot) renders legibly.
if $SUDO apt-get "${APT_OPTS[@]}" update >"$LOG" 2>&1 \
  && $SUDO apt-get "${APT_OPTS[@]}" install --no-install-recommends chromium fonts-liberation >>"$LOG" 2>&1 \
  && find_chromium; then
  rm -f "$LOG"
  exit 0
fi

note "could not install chromium with apt-get (last lines of $LOG below); the web-UI test will be skipped"
tail -n 5 "$LOG" >&2
exit 0

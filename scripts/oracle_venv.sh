#!/usr/bin/env bash
# Create the oracle virtual environment .venv-oracle with the open-source DfE CIN validator
# (csc-validator-be-cin). The validator pins pandas<2 / numpy<2, so it cannot share the
# project's .venv; cin_pipeline.synth.oracle runs it in a subprocess in this venv instead.
#
# Usage: scripts/oracle_venv.sh [VENV_DIR]      (default: <repo>/.venv-oracle)
# Idempotent: does nothing if the venv already has the pinned validator.
set -euo pipefail

ORACLE_VERSION="${CIN_ORACLE_VERSION:-0.1.13}"
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${1:-$REPO/.venv-oracle}"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$ORACLE_VERSION" <<'PYEOF' 2>/dev/null
import sys
from importlib.metadata import version
import cin_validator.cin_validator  # also proves pandas/numpy import together
sys.exit(0 if version("csc-validator-be-cin") == sys.argv[1] else 1)
PYEOF
then
  echo "oracle venv ready: $VENV (csc-validator-be-cin==$ORACLE_VERSION)"
  exit 0
fi

"$PY" -m venv "$VENV"
# numpy<2: the validator's pandas 1.5 wheels are built against the numpy 1 ABI, but pip would
# otherwise pick the newest numpy (2.x) and pandas fails to import.
"$VENV/bin/pip" install --quiet --disable-pip-version-check \
  "csc-validator-be-cin==$ORACLE_VERSION" "numpy<2" 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import cin_validator.cin_validator" 
echo "oracle venv created: $VENV (csc-validator-be-cin==$ORACLE_VERSION)"

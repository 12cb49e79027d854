#!/usr/bin/env bash
# Installs the independent NACHA implementation used by tests/independent_ach.rs:
# the PyPI package achkit (MIT, zero dependencies; parser + reconciliation validator).
# Idempotent: does nothing when the pinned version is already importable.
set -euo pipefail
VERSION="0.2.0"
PYTHON="${PYTHON:-python3}"
if "$PYTHON" -c "import achkit, sys; sys.exit(0 if achkit.__version__ == '$VERSION' else 1)" 2>/dev/null; then
    echo "achkit $VERSION already installed"
    exit 0
fi
"$PYTHON" -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "achkit==$VERSION"
"$PYTHON" -c "import achkit; print('installed achkit', achkit.__version__)"

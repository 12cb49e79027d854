#!/usr/bin/env bash
# Validates an OpenAPI document (default docs/openapi.json) with the PyPI package
# openapi-spec-validator, pinned, installed in a private virtualenv (.venv-ci/, git-ignored)
# made on first use and reused afterwards.
#   scripts/openapi-check.sh [document]     validate (default docs/openapi.json)
#   scripts/openapi-check.sh --install-only make the virtualenv and install the validator
# Exit status 0 when the document is valid; non-zero with the validator's message otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION="0.9.0"
VENV="${OPENAPI_CHECK_VENV:-.venv-ci}"
DOC="${1:-docs/openapi.json}"
PYTHON="${PYTHON:-python3}"

command -v "$PYTHON" >/dev/null || {
  echo "openapi-check: $PYTHON is required (Debian: apt-get install -y python3 python3-venv)" >&2
  exit 2
}
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV" || {
    rm -rf "$VENV"
    echo "openapi-check: '$PYTHON -m venv' failed (Debian: apt-get install -y python3-venv)" >&2
    exit 2
  }
fi
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(0 if m.version('openapi-spec-validator') == '$VERSION' else 1)" 2>/dev/null; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "openapi-spec-validator==$VERSION" >&2
fi
if [ "$DOC" = "--install-only" ]; then
  echo "openapi-spec-validator $VERSION ready in $VENV"
  exit 0
fi
# The validator quotes the whole document on some errors: keep the start of each line.
"$VENV/bin/openapi-spec-validator" "$DOC" 2>&1 | cut -c1-600
# Every example must fit its schema (jsonschema comes with the validator): an example left
# behind by a renamed or retyped field fails here.
"$VENV/bin/python" - "$DOC" <<'PY'
import json, sys
from jsonschema import Draft202012Validator
doc = json.load(open(sys.argv[1]))
components = doc.get("components", {})
problems = []

def check(at, schema, example):
    root = dict(schema)
    root["components"] = components
    for e in Draft202012Validator(root).iter_errors(example):
        path = "/".join(str(p) for p in e.absolute_path)
        problems.append(f"{at}: example at '{path}': {e.message}")

def walk(at, v):
    if isinstance(v, dict):
        if "example" in v:
            if "schema" in v:
                check(at, v["schema"], v["example"])
            elif any(k in v for k in ("type", "$ref", "properties", "allOf", "oneOf", "anyOf")):
                check(at, v, v["example"])
        for k, x in v.items():
            if k not in ("example", "examples"):
                walk(f"{at}/{k}", x)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            walk(f"{at}/{i}", x)

walk("#", doc)
if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"{sys.argv[1]}: examples OK")
PY

#!/usr/bin/env bash
# `make test`: every test of the workspace against a real PostgreSQL (found or started).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
exec cargo nextest run --workspace --no-fail-fast "$@"

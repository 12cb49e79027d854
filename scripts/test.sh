#!/usr/bin/env bash
# `make test`: every test of the workspace against a real PostgreSQL (found or started).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
status=0
cargo nextest run --workspace --no-fail-fast "$@" || status=$?
# A full run (`make test`, no arguments) also boots the production topology: every service
# its own process, configured from the rendered Kubernetes manifests (scripts/prod-smoke.sh),
# and runs the web app's checks (scripts/web-test.sh: typecheck, lint, unit, build, bundle
# budget, browser tests) even when a Rust test failed. Any failure fails the run.
if [ $# -eq 0 ]; then
  scripts/prod-smoke.sh || status=$?
  scripts/web-test.sh || status=$?
fi
exit "$status"

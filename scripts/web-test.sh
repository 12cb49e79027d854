#!/usr/bin/env bash
# The web app's checks, in this order, stopping at the first failure:
#   npm ci (when web/node_modules is missing or package-lock.json changed), then the
#   package.json scripts typecheck, lint, test (Vitest), build, bundle-budget, e2e
#   (Playwright on Debian's chromium against the real stack of scripts/e2e-stack.sh).
# A script web/package.json does not define is skipped with a note. Without
# web/package.json at all there is nothing to check: exit 0.
# Set WEB_TEST_SKIP_E2E=1 to leave out the browser tests (e.g. on a machine without chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f web/package.json ]; then
  echo "web-test: no web/package.json; nothing to check" >&2
  exit 0
fi
. scripts/web-deps.sh
ap_web_deps
has_script() {
  (cd web && node -e 'const s = require("./package.json").scripts || {}; process.exit(s[process.argv[1]] ? 0 : 1)' "$1")
}
steps=(typecheck lint test build bundle-budget e2e)
if [ "${WEB_TEST_SKIP_E2E:-}" = "1" ]; then
  steps=(typecheck lint test build bundle-budget)
fi
for step in "${steps[@]}"; do
  if ! has_script "$step"; then
    echo "web-test: web/package.json has no \"$step\" script; skipped" >&2
    continue
  fi
  echo "== web: npm run $step"
  if ! (cd web && npm run "$step"); then
    echo "web-test: npm run $step failed" >&2
    exit 1
  fi
  if [ "$step" = build ]; then
    ap_web_precompress
  fi
done
echo "web-test: all web checks passed"

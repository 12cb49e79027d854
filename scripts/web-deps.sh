#!/usr/bin/env bash
# Source it: `. scripts/web-deps.sh`, then `ap_web_deps` installs web/'s npm dependencies
# with `npm ci` when web/node_modules is missing or package-lock.json changed since the last
# install (a hash stamp in node_modules), and is a no-op otherwise. It fails with a clear
# message when Node.js or npm is missing or too old (the app needs Node >= 20.19).

ap_web_node_check() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "The web app needs Node.js (>= 20.19) and npm, which are not installed." >&2
    echo "  Debian/Ubuntu: apt-get install -y nodejs npm   (or https://nodejs.org)" >&2
    return 1
  fi
  local major minor
  IFS=. read -r major minor _ <<<"$(node --version | tr -d v)"
  if [ "${major:-0}" -lt 20 ] || { [ "$major" -eq 20 ] && [ "${minor:-0}" -lt 19 ]; }; then
    echo "The web app needs Node.js >= 20.19; this machine has $(node --version)." >&2
    return 1
  fi
}

ap_web_deps() {
  ap_web_node_check || return 1
  local stamp=web/node_modules/.ap-package-lock.sha256 want
  want="$(sha256sum web/package-lock.json | cut -d' ' -f1)"
  if [ -d web/node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  # Installed before the stamp existed: npm's own record of the install is newer than the lock.
  if [ ! -f "$stamp" ] && [ web/node_modules/.package-lock.json -nt web/package-lock.json ]; then
    echo "$want" >"$stamp"
    return 0
  fi
  echo "installing the web app's dependencies (npm ci)..." >&2
  (cd web && npm ci --no-audit --no-fund) >&2 || return 1
  echo "$want" >"$stamp"
}

# Builds web/ into web/dist (`npm run build`) unless the build is newer than every source
# file, then gzips the larger assets next to themselves: the gateway serves `x.js.gz` for
# `x.js` to clients that accept gzip.
ap_web_build() {
  ap_web_deps || return 1
  if [ -f web/dist/index.html ] && [ -z "$(find web -path web/node_modules -prune -o -path web/dist -prune \
        -o -path web/test-results -prune -o -path web/e2e -prune -o -type f ! -name "*.md" -newer web/dist/index.html -print -quit)" ]; then
    echo "web app: web/dist is up to date" >&2
    return 0
  fi
  echo "building the web app (npm run build)..." >&2
  (cd web && npm run build) >&2 || return 1
  ap_web_precompress
}

ap_web_precompress() {
  [ -d web/dist/assets ] || return 0
  find web/dist/assets -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.mjs' \) \
    -size +1k -exec gzip -9 -k -f {} +
}

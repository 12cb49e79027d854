#!/usr/bin/env bash
# `make run`: the whole product on an embedded default — PostgreSQL found or started, dev
# keys generated, migrations applied, demo data seeded, the web app built (web/ into
# web/dist, which the gateway serves at /), every service and the gateway in one process on
# port 8080.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/postgres.sh
. scripts/web-deps.sh

# PDF text and OCR tools for extraction; without them those documents fail visibly, naming
# the missing tool. Installed when this machine can (root with apt), never fatal.
missing=()
command -v pdftotext >/dev/null || missing+=(poppler-utils)
command -v tesseract >/dev/null || missing+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra)
if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]}..."
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 \
    || echo "note: could not install ${missing[*]}; PDFs without e-invoice XML and images will fail extraction visibly" >&2
fi

cargo build --bin apctl
APCTL=target/debug/apctl
# The browser app: npm ci when its lockfile changed, then a build unless web/dist is current.
if [ -f web/package.json ]; then
  ap_web_build || { echo "make run: the web app could not be built (see above)." >&2; exit 1; }
  export WEB_DIR="${WEB_DIR:-$PWD/web/dist}"
fi
mkdir -p .data
if [ -z "${JWT_PRIVATE_KEY:-}" ]; then
  if [ ! -f .data/keys/jwt_private.pem ]; then
    "$APCTL" keys generate --out .data/keys >/dev/null
  fi
  export JWT_PRIVATE_KEY="$PWD/.data/keys/jwt_private.pem"
  export JWT_PUBLIC_KEY="$PWD/.data/keys/jwt_public.pem"
fi
if [ -z "${DATA_ENCRYPTION_KEY:-}" ]; then
  if [ ! -f .data/keys/data_encryption.key ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 > .data/keys/data_encryption.key)
  fi
  DATA_ENCRYPTION_KEY="$(cat .data/keys/data_encryption.key)"
  export DATA_ENCRYPTION_KEY
fi
export APP_ENV="${APP_ENV:-development}"
export GATEWAY_ADDR="${GATEWAY_ADDR:-0.0.0.0:8080}"

"$APCTL" migrate
"$APCTL" seed --demo

port="${GATEWAY_ADDR##*:}"
cat <<MSG

  AP automation is starting on http://localhost:$port
    Web app:     http://localhost:$port/  (sign in with a demo account below)
    API:         http://localhost:$port/api/v1
    API docs:    http://localhost:$port/api/docs
    Health:      http://localhost:$port/health
    Metrics:     http://localhost:$port/metrics
  Demo accounts (password: demo-password):
    admin@example.com (ADMIN)      analyst@example.com (AP_ANALYST)
    approver@example.com (APPROVER) clerk@example.com (AP_CLERK)
    auditor@example.com (AUDITOR)
  Approvals: approver@example.com decides ACME-1002 at /approvals (API: /api/v1/approvals); the email links
    (mail is held while MAIL_ENABLED is off) are at /api/v1/admin/mail-outbox, read by the
    approver themself (each user sees only their own mail).
  Database: ${DATABASE_URL%%\?*}
  Stop with Ctrl-C.

MSG
exec "$APCTL" serve all

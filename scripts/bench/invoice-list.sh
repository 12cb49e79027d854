#!/usr/bin/env bash
# Benchmark: GET /api/v1/invoices?limit=50 and one invoice detail through gateway + gRPC +
# PostgreSQL with N invoices (default 100,000), 16 concurrent clients, release build. Prints
# wrk's latency distributions.
#   scripts/bench/invoice-list.sh [N] [DURATION]
# Needs wrk (Debian: apt-get install wrk). Uses its own database `ap_bench` on the server that
# scripts/postgres.sh finds, and port 18080.
set -euo pipefail
cd "$(dirname "$0")/../.."
N="${1:-100000}"
DURATION="${2:-20s}"
command -v wrk >/dev/null || { echo "wrk is required (apt-get install wrk)" >&2; exit 1; }
. scripts/postgres.sh
BASE="${DATABASE_URL%/*}"
export DATABASE_URL="$BASE/ap_bench"
export APP_ENV=development RUST_LOG=warn GATEWAY_ADDR=127.0.0.1:18080
export RATE_LIMIT_GENERAL_PER_MIN=100000000 STORAGE_URL="file:///tmp/ap-bench-objects"
cargo build --release --bin apctl >/dev/null
APCTL=target/release/apctl
KEYS=$(mktemp -d)
"$APCTL" keys generate --out "$KEYS" >/dev/null
export JWT_PRIVATE_KEY="$KEYS/jwt_private.pem" JWT_PUBLIC_KEY="$KEYS/jwt_public.pem"
DATA_ENCRYPTION_KEY="$(cat "$KEYS/data_encryption.key")"
export DATA_ENCRYPTION_KEY

psql_admin() { psql "${BASE}/postgres" -qAt -c "$1"; }
psql_admin "DROP DATABASE IF EXISTS ap_bench WITH (FORCE)"
"$APCTL" migrate >/dev/null
"$APCTL" seed --demo >/dev/null
echo "seeding $N invoices..."
psql "$DATABASE_URL" -q <<SQL
INSERT INTO invoice.invoices (id, status, source, invoice_number, invoice_number_normalized, vendor_name,
    invoice_date, due_date, currency, subtotal, tax_amount, total_amount, amount_due, po_number, created_at)
SELECT gen_random_uuid(),
       (ARRAY['received','extracted','exception','pending_approval','approved','paid'])[1 + i % 6],
       'upload', 'INV-' || lpad(i::text, 7, '0'), 'INV' || lpad(i::text, 7, '0'),
       'Vendor ' || (i % 500), DATE '2026-01-01' + (i % 300), DATE '2026-02-01' + (i % 300), 'EUR',
       (i % 10000) + 0.5, ((i % 10000) + 0.5) * 0.19, ((i % 10000) + 0.5) * 1.19, ((i % 10000) + 0.5) * 1.19,
       'PO-' || (i % 2000), now() - make_interval(secs => i)
FROM generate_series(1, $N) AS s(i);
ANALYZE invoice.invoices;
SQL

"$APCTL" serve all >/tmp/ap-bench-serve.log 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$KEYS" /tmp/ap-bench-objects' EXIT
for _ in $(seq 1 100); do curl -sf localhost:18080/health >/dev/null 2>&1 && break; sleep 0.2; done
TOKEN=$(curl -sf -X POST localhost:18080/api/v1/auth/login -H 'content-type: application/json' \
  -d '{"email":"analyst@example.com","password":"demo-password"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

echo "== GET /api/v1/invoices?limit=50 ($N invoices, 16 connections, $DURATION)"
wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:18080/api/v1/invoices?limit=50"
echo "== same, filtered by status and searched (q=INV-00042)"
wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:18080/api/v1/invoices?limit=50&status=approved&q=INV-00042"
# A detail with everything on it: ACME-1002 of the demo waits for approval, so the gateway
# also asks the approval service for its tasks.
DETAIL=$(curl -sf "localhost:18080/api/v1/invoices?q=ACME-1002&limit=1" -H "Authorization: Bearer $TOKEN" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
echo "== GET /api/v1/invoices/{id} (ACME-1002: lines, match, exceptions, approval tasks)"
wrk -t2 -c16 -d"$DURATION" --latency -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:18080/api/v1/invoices/$DETAIL"
echo "== /health/live"
wrk -t2 -c16 -d10s --latency "http://127.0.0.1:18080/health/live"
echo "== resident memory of the all-in-one process (KiB)"
grep VmRSS "/proc/$SERVER/status"

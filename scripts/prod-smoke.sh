#!/usr/bin/env bash
# Production smoke: the multi-process topology of the Kubernetes manifests, on this host.
#
# Renders k8s/overlays/prod, fills the example Secret's keys with generated strong values,
# and starts every service as its own process (`apctl serve auth`, `serve invoice`, ...)
# with APP_ENV=production and exactly the environment its Deployment gets
# (scripts/deploy/k8s_env.py: only mount paths, listen addresses and service URLs are
# rewritten for one host). Against a fresh database on the test PostgreSQL it runs the migrate
# Job's `apctl migrate`, creates an admin, then through the gateway: GET / (the web app),
# login, upload an e-invoice and wait until it is extracted and matched. Prints each process's
# start line and RSS; exits non-zero on any failure with the failing process's log tail.
#
#   scripts/prod-smoke.sh            (needs kubectl, python3 + PyYAML, curl, psql)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

say() { printf '== smoke: %s\n' "$*"; }
die() { printf 'prod-smoke: FAILED: %s\n' "$*" >&2; exit 1; }

[ -x .venv-ci/bin/kubectl ] && ! command -v kubectl >/dev/null && PATH="$PWD/.venv-ci/bin:$PATH"
for tool in kubectl python3 curl psql; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
PY=python3
[ -x .venv-ci/bin/python ] && .venv-ci/bin/python -c 'import yaml' 2>/dev/null && PY=.venv-ci/bin/python
"$PY" -c 'import yaml' 2>/dev/null || die "PyYAML is required (scripts/deploy-check.sh installs it in .venv-ci)"

if [ -n "${AP_SMOKE_APCTL:-}" ]; then
  APCTL="$AP_SMOKE_APCTL"   # a prebuilt binary
else
  say "build apctl"
  cargo build --quiet -p ap-cli --bin apctl
  APCTL="$ROOT/target/debug/apctl"
fi

# The gateway serves the built web app (the image builds it in its Node stage); build it
# when there is none yet (a fresh checkout), otherwise serve the one there is.
if [ ! -f web/dist/index.html ] && [ -f web/package.json ] && [ -f scripts/web-deps.sh ]; then
  . scripts/web-deps.sh
  ap_web_build >/dev/null || die "could not build the web app (web/dist)"
fi
[ -f web/dist/index.html ] || die "web/dist/index.html is missing: the gateway has no web app to serve"

. scripts/postgres.sh >/dev/null
BASE_URL="${DATABASE_URL%%\?*}"
SUFFIX="$(date +%s)_$RANDOM"
DB="ap_smoke_$SUFFIX"
# Login roles as the manifests expect them: the services' (IN ROLE ap_runtime) and Ask-AI's
# (IN ROLE ap_askai); the migrate Job connects as the owner (the test server's superuser).
ROLE="ap_askai_smoke_$SUFFIX"
ROLE_PW="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
APP_ROLE="ap_app_smoke_$SUFFIX"
APP_PW="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
DB_URL="${BASE_URL%/*}/$DB"
ADMIN_URL="${BASE_URL%/*}/postgres"
# The read-only role's DSN: same server, its own credentials.
with_role() { # url role password
  "$PY" - "$@" <<'PYEOF'
import sys, urllib.parse as u
url, role, pw = sys.argv[1:]
p = u.urlsplit(url)
host = p.hostname + (f":{p.port}" if p.port else "")
print(u.urlunsplit((p.scheme, f"{role}:{pw}@{host}", p.path, p.query, "")))
PYEOF
}
ASKAI_URL="$(with_role "$DB_URL" "$ROLE" "$ROLE_PW")"
APP_URL="$(with_role "$DB_URL" "$APP_ROLE" "$APP_PW")"

WORK="$(mktemp -d /tmp/ap-prod-smoke.XXXXXX)"
PIDS=()
NAMES=()
MOTO_PID=""
cleanup() {
  local rc=$?
  for i in "${!PIDS[@]}"; do kill "${PIDS[$i]}" 2>/dev/null || true; done
  for i in "${!PIDS[@]}"; do wait "${PIDS[$i]}" 2>/dev/null || true; done
  [ -n "$MOTO_PID" ] && { kill "$MOTO_PID" 2>/dev/null; wait "$MOTO_PID" 2>/dev/null; } || true
  psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  psql -q "$ADMIN_URL" -c "DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1 || true
  psql -q "$ADMIN_URL" -c "DROP ROLE IF EXISTS $APP_ROLE" >/dev/null 2>&1 || true
  if [ "$rc" = 0 ] && [ -z "${AP_SMOKE_KEEP:-}" ]; then rm -rf "$WORK"; else echo "prod-smoke: work dir kept: $WORK" >&2; fi
  exit "$rc"
}
trap cleanup EXIT INT TERM

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
declare -A PORT
for s in auth invoice payment approval askai gateway; do PORT[$s]=$(free_port); done
printf '{"auth":%s,"invoice":%s,"payment":%s,"approval":%s,"askai":%s,"gateway":%s}\n' \
  "${PORT[auth]}" "${PORT[invoice]}" "${PORT[payment]}" "${PORT[approval]}" "${PORT[askai]}" "${PORT[gateway]}" >"$WORK/ports.json"

say "render k8s/overlays/prod"
kubectl kustomize k8s/overlays/prod >"$WORK/rendered.yaml"

say "fill the example Secret with generated values"
"$APCTL" keys generate --out "$WORK/keys" >/dev/null
# Documents: a local S3 (moto) when installed, so the s3:// STORAGE_URL of the manifests is
# used as is; its endpoint is the one addition (the manifests leave AWS_ENDPOINT to MinIO users).
S3_ENDPOINT=""
if command -v moto_server >/dev/null; then
  S3_PORT=$(free_port)
  moto_server -H 127.0.0.1 -p "$S3_PORT" >"$WORK/moto.log" 2>&1 &
  MOTO_PID=$!
  for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$S3_PORT/" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fsS -X PUT "http://127.0.0.1:$S3_PORT/ap-documents" >/dev/null || die "could not create the S3 bucket"
  S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
fi
"$PY" - "$WORK" "$DB_URL" "$APP_URL" "$ASKAI_URL" "$(free_port)" "k8s/base/secret.example.yaml" <<'PYEOF'
import base64, json, os, secrets, sys, yaml
work, db_url, app_url, askai_url, smtp_port, example = sys.argv[1:]
keys = os.path.join(work, "keys")

def aba():
    """A routing number with a valid ABA check digit."""
    d = [secrets.randbelow(10) for _ in range(8)]
    check = (-(3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5]))) % 10
    return "".join(map(str, d + [check]))

def iban():
    """A German IBAN with valid check digits (random bank code and account)."""
    bban = "".join(str(secrets.randbelow(10)) for _ in range(18))
    n = int(bban + "131400")  # D=13 E=14, check digits 00
    return f"DE{98 - n % 97:02d}{bban}"

def bank_identifiers():
    return {
        "ACH_IMMEDIATE_DESTINATION": aba(),
        "ACH_IMMEDIATE_ORIGIN": aba(),
        "ACH_ODFI_ROUTING": aba(),
        "ACH_COMPANY_ID": "1" + "".join(str(secrets.randbelow(10)) for _ in range(9)),
        "PAIN001_DEBTOR_IBAN": iban(),
        "PAIN001_DEBTOR_BIC": "SMOKDEFFXXX",
    }
shape = yaml.safe_load(open(example))["stringData"]
values = {}
for key in shape:
    if key.endswith(".pem"):
        path = os.path.join(keys, key)
        if not os.path.exists(path):
            path = os.path.join(keys, "public", key)
        values[key] = open(path).read()
values.update({
    "MIGRATE_DATABASE_URL": db_url,
    "DATABASE_URL": app_url,
    "ASKAI_DATABASE_URL": askai_url,
    "DATA_ENCRYPTION_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
    "APPROVAL_TOKEN_SECRET": secrets.token_urlsafe(48),
    # Nothing listens there: mail is queued and retried, which is all this smoke needs.
    "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
    "AWS_ACCESS_KEY_ID": "smoke" + secrets.token_hex(8),
    "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30),
    "SENTRY_DSN": "",
    **bank_identifiers(),
    "ANTHROPIC_API_KEY": "",
})
missing = set(shape) - set(values)
if missing:
    sys.exit(f"the example Secret has keys this smoke does not fill: {sorted(missing)}")
json.dump(values, open(os.path.join(work, "secrets.json"), "w"))
PYEOF
"$PY" scripts/deploy/k8s_env.py "$WORK/rendered.yaml" "$WORK/secrets.json" "$WORK/ports.json" "$WORK/env" >"$WORK/contracts.txt"
sed 's/^/   /' "$WORK/contracts.txt"

say "each manifest gives its process exactly its contract (apctl config vars / config check)"
for p in migrate auth invoice payment approval askai gateway; do
  [ -f "$WORK/env/$p.env" ] || die "no Deployment or Job runs $p"
  extra=$(tr '\0' '\n' <"$WORK/env/$p.env" | cut -d= -f1 | sort | comm -23 - <("$APCTL" config vars --service "$p" | sort))
  [ -z "$extra" ] || die "the $p manifest sets variables $p does not read: $extra"
  mapfile -d '' ENV <"$WORK/env/$p.env"
  env -i "${ENV[@]}" "$APCTL" config check --service "$p" >"$WORK/check-$p.log" 2>&1 \
    || { cat "$WORK/check-$p.log" >&2; die "apctl config check --service $p"; }
done

# The process environment: the manifest's, plus what the image provides (PATH), plus the
# host rewrites listed in the header.
run_env() { # process -> array ENV
  local process=$1
  mapfile -d '' ENV <"$WORK/env/$process.env"
  ENV+=("PATH=$PATH" "HOME=$WORK" "TMPDIR=$WORK")
  case "$process" in
    invoice)
      ENV+=("DATA_DIR=$WORK/data")
      if [ -n "$S3_ENDPOINT" ]; then
        ENV+=("AWS_ENDPOINT=$S3_ENDPOINT" "AWS_ALLOW_HTTP=true")
      else
        ENV+=("STORAGE_URL=file://$WORK/data/objects")
      fi ;;
    gateway)
      # The image serves the built web app (Dockerfile: WEB_DIR).
      ENV+=("WEB_DIR=$ROOT/web/dist") ;;
  esac
}

tail_log() { echo "---- $1 (last 40 lines of $WORK/$1.log)" >&2; tail -n 40 "$WORK/$1.log" >&2 || true; }

say "apctl migrate (the migrate Job's environment) on database $DB"
run_env migrate
env -i "${ENV[@]}" "$APCTL" migrate >"$WORK/migrate.log" 2>&1 || { tail_log migrate; die "migrate"; }
psql -q -v ON_ERROR_STOP=1 "$ADMIN_URL" \
  -c "CREATE ROLE $ROLE LOGIN PASSWORD '$ROLE_PW' IN ROLE ap_askai" \
  -c "CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PW' IN ROLE ap_runtime" >/dev/null \
  || die "could not create the login roles"

say "create an admin (apctl user create, the auth Deployment's environment)"
ADMIN_EMAIL="admin@smoke.example.com"
ADMIN_PW="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')x9"
run_env auth
env -i "${ENV[@]}" APCTL_PASSWORD="$ADMIN_PW" "$APCTL" user create --email "$ADMIN_EMAIL" --name "Smoke Admin" --role ADMIN \
  >"$WORK/user.log" 2>&1 || { tail_log user; die "user create"; }

start() { # process
  run_env "$1"
  env -i "${ENV[@]}" "$APCTL" serve "$1" >"$WORK/$1.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("$1")
}
check_alive() {
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      tail_log "${NAMES[$i]}"
      die "${NAMES[$i]} exited"
    fi
  done
}

say "start every process on its own"
for p in auth invoice payment approval askai gateway; do start "$p"; done
GW="http://127.0.0.1:${PORT[gateway]}"
ready=""
for _ in $(seq 1 240); do
  check_alive
  if curl -fsS "$GW/health" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.5
done
[ -n "$ready" ] || { for p in "${NAMES[@]}"; do tail_log "$p"; done; curl -sS "$GW/health" >&2 || true; die "gateway not ready within 120 s"; }

fail() { check_alive; for p in "${NAMES[@]}"; do tail_log "$p"; done; die "$*"; }

say "gRPC health of every service (apctl health, the compose health check)"
declare -A GRPC_NAME=([auth]=ap.auth.v1.AuthService [invoice]=ap.invoice.v1.InvoiceService
  [payment]=ap.payment.v1.PaymentService [approval]=ap.approval.v1.ApprovalService
  [askai]=ap.askai.v1.AskAiService)
for s in auth invoice payment approval askai; do
  "$APCTL" health --grpc "127.0.0.1:${PORT[$s]}" --service "${GRPC_NAME[$s]}" | sed 's/^/   /' \
    || fail "$s is not SERVING"
done

say "GET / serves the web app"
code=$(curl -sS -o "$WORK/index.html" -w '%{http_code} %{content_type}' "$GW/")
case "$code" in 200\ text/html*) ;; *) fail "GET / answered $code" ;; esac
grep -qi '<html' "$WORK/index.html" || fail "GET / is not an HTML page"

say "login"
TOKEN=$(curl -fsS -H 'content-type: application/json' \
  -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PW\"}" "$GW/api/v1/auth/login" \
  | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])') || fail "login"

CORPUS="${AP_CORPUS_DIR:-$ROOT/../shared/corpus}"
DOC="$CORPUS/einvoice/ubl/guide-example1.xml"
[ -f "$DOC" ] || die "e-invoice $DOC not found (set AP_CORPUS_DIR)"
say "upload $(basename "$DOC")"
ID=$(curl -fsS -H "authorization: Bearer $TOKEN" -F "file=@$DOC;type=application/xml" "$GW/api/v1/invoices/upload" \
  | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "upload"

say "wait until invoice $ID is extracted and matched"
status=""
for _ in $(seq 1 120); do
  curl -fsS -H "authorization: Bearer $TOKEN" "$GW/api/v1/invoices/$ID" >"$WORK/invoice.json" || fail "GET invoice"
  status=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$WORK/invoice.json")
  case "$status" in exception|pending_approval|approved|scheduled|paid) break ;; esac
  sleep 0.5
done
# Matched: the rule engine has run (an exception, an approval or a touchless approval).
case "$status" in exception|pending_approval|approved|scheduled|paid) ;; *) fail "invoice still $status after 60 s" ;; esac
EXTRACTED=$("$PY" - "$WORK/invoice.json" <<'PYEOF'
import json, sys
inv = json.load(open(sys.argv[1]))
assert inv.get("invoice_number") and inv.get("total_amount"), f"not extracted: {inv}"
print(f"number {inv['invoice_number']}, total {inv['total_amount']} {inv.get('currency')}, "
      f"status {inv['status']}, exceptions {[e.get('code') for e in inv.get('exceptions') or []]}")
PYEOF
) || fail "the invoice was not extracted"
check_alive

wait_matched() { # id -> status, fails after 120 s
  local st=""
  for _ in $(seq 1 240); do
    curl -fsS -H "authorization: Bearer $TOKEN" "$GW/api/v1/invoices/$1" >"$WORK/invoice.json" || fail "GET invoice"
    st=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$WORK/invoice.json")
    case "$st" in exception|pending_approval|approved|scheduled|paid) echo "$st"; return 0 ;; esac
    sleep 0.5
  done
  fail "invoice $1 still $st after 120 s"
}

# Measurement only (AP_SMOKE_OCR=1): a 300 dpi scan through OCR, for the invoice pod's sizing.
if [ -n "${AP_SMOKE_OCR:-}" ] && command -v pdftoppm >/dev/null; then
  pdftoppm -r 300 -png -f 1 -l 1 -singlefile "$CORPUS/pdf/pdf_plain.pdf" "$WORK/scan"
  say "upload a 300 dpi scan ($(du -k "$WORK/scan.png" | cut -f1) KiB PNG) through OCR"
  SCAN=$(curl -fsS -H "authorization: Bearer $TOKEN" -F "file=@$WORK/scan.png;type=image/png" "$GW/api/v1/invoices/upload" \
    | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])') || fail "scan upload"
  echo "   scan $SCAN: $(wait_matched "$SCAN")"
fi

say "summary"
printf '%-9s %-10s %-10s %s\n' process "RSS" "peak RSS" "start line"
for i in "${!PIDS[@]}"; do
  p=${NAMES[$i]}
  rss=$(awk '/^VmRSS/{print $2 " " $3}' "/proc/${PIDS[$i]}/status")
  hwm=$(awk '/^VmHWM/{print $2 " " $3}' "/proc/${PIDS[$i]}/status")
  line=$(grep -m1 '"process starting"\|process starting' "$WORK/$p.log" || true)
  [ -n "$line" ] || fail "$p logged no start line"
  case "$line" in *Production*) ;; *) fail "$p did not start in production mode: $line" ;; esac
  printf '%-9s %-10s %-10s %s\n' "$p" "$rss" "$hwm" "$line"
done
echo "invoice $ID: $EXTRACTED"
say "ok"

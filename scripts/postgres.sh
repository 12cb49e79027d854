#!/usr/bin/env bash
# Finds a PostgreSQL server and exports DATABASE_URL (and TEST_DATABASE_URL) for it:
#   1. DATABASE_URL if already set;
#   2. else 127.0.0.1:5432 if it answers (starting the machine's stopped cluster if there is one);
#   3. else a private cluster under .data/pg on port 55432, run as an unprivileged user
#      (PostgreSQL refuses to run as root).
# Source it: `. scripts/postgres.sh`.

ap_pg_bindir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

ap_pg_ready() { # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -t 2
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

ap_pg_private() {
  local root data port bindir runner
  root="$(pwd)/.data"
  data="$root/pg"
  port="${AP_PRIVATE_PG_PORT:-55432}"
  bindir="$(ap_pg_bindir)"
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "postgres.sh: no PostgreSQL server answers and initdb is not installed." >&2
    echo "  install it (Debian: apt-get install -y postgresql) or set DATABASE_URL." >&2
    return 1
  fi
  mkdir -p "$root"
  local as_runner=()
  if [ "$(id -u)" = "0" ]; then
    runner=pgrunner
    id -u "$runner" >/dev/null 2>&1 || useradd -M -r -s /usr/sbin/nologin "$runner"
    chown "$runner" "$root"
    as_runner=(su -s /bin/sh "$runner" -c)
    if ! "${as_runner[@]}" "cd / && test -w '$root'" 2>/dev/null; then
      # The checkout sits under a directory the unprivileged user cannot enter (e.g. /root):
      # keep the cluster in a per-checkout directory it can reach instead.
      root="/var/tmp/ap-pg-$(printf '%s' "$(pwd)" | cksum | cut -d' ' -f1)"
      data="$root/pg"
      mkdir -p "$root" && chown "$runner" "$root"
    fi
  else
    as_runner=(sh -c)
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "postgres.sh: initialising a private cluster in $data" >&2
    "${as_runner[@]}" "cd / && '$bindir/initdb' -D '$data' -U postgres --auth=trust -E UTF8 >/dev/null"
  fi
  if ! ap_pg_ready 127.0.0.1 "$port"; then
    "${as_runner[@]}" "cd / && '$bindir/pg_ctl' -D '$data' -l '$root/pg.log' -w -o \"-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off\" start >/dev/null"
  fi
  export DATABASE_URL="postgres://postgres@127.0.0.1:$port/ap"
}

ap_pg_find() {
  if [ -n "${DATABASE_URL:-}" ]; then
    return 0
  fi
  if ! ap_pg_ready 127.0.0.1 5432 && command -v pg_ctlcluster >/dev/null 2>&1 && command -v pg_lsclusters >/dev/null 2>&1; then
    # The machine has a cluster that is installed but stopped: start it.
    local ver
    ver=$(pg_lsclusters -h 2>/dev/null | awk '$3 == 5432 {print $1; exit}')
    if [ -n "$ver" ]; then
      pg_ctlcluster --skip-systemctl-redirect "$ver" main start >/dev/null 2>&1 || true
      for _ in $(seq 1 20); do ap_pg_ready 127.0.0.1 5432 && break; sleep 0.5; done
    fi
  fi
  if ap_pg_ready 127.0.0.1 5432; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/ap"
  else
    ap_pg_private
  fi
}

ap_pg_find || return 1 2>/dev/null || exit 1
# Tests create their databases next to DATABASE_URL's, on the same server.
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-${DATABASE_URL%/*}/postgres}"

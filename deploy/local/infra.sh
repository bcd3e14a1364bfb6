#!/usr/bin/env bash
# Careloop local infrastructure without Docker: Apache Kafka (KRaft), FerretDB (MongoDB wire
# protocol on a dedicated PostgreSQL cluster, or on SQLite with CARELOOP_MONGO_BACKEND=sqlite),
# Redis and a FHIR R4 server (HAPI FHIR JPA on H2), installed on first use and started as plain
# processes.
#
#   infra.sh up                 install what is missing, start what is not running, wait until ready
#   infra.sh down [--purge]     stop everything (data kept; --purge also deletes the data dir)
#   infra.sh status             one line per component; exit 0 only if all are up
#   infra.sh logs [kafka|mongo|pg|redis|fhir] [-f]   print (or follow) the log files (mongo includes pg)
#   infra.sh env                KAFKA_BROKERS=..., MONGODB_URI=..., REDIS_URL=..., FHIR_BASE_URL=...
#
# A component whose variable (KAFKA_BROKERS, MONGODB_URI, REDIS_URL, FHIR_BASE_URL) is already set
# to another address is external: it is neither installed nor started here. See deploy/local/README.md.
set -euo pipefail

# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

KAFKA_PORT="${CARELOOP_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${CARELOOP_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
MONGO_PORT="${CARELOOP_MONGO_PORT:-27027}"
REDIS_PORT="${CARELOOP_REDIS_PORT:-16379}"
FHIR_PORT="${CARELOOP_FHIR_PORT:-18090}"
MONGO_LOG_LEVEL="${CARELOOP_MONGO_LOG_LEVEL:-warn}"
MONGO_BACKEND="${CARELOOP_MONGO_BACKEND:-postgresql}"
PG_PORT="${CARELOOP_PG_PORT:-55432}"
START_TIMEOUT="${CARELOOP_START_TIMEOUT:-60}"

KAFKA_DIR="$CARELOOP_DATA/kafka"
MONGO_DIR="$CARELOOP_DATA/mongo"
REDIS_DIR="$CARELOOP_DATA/redis"
FHIR_DIR="$CARELOOP_DATA/fhir"
KAFKA_SH="$CARELOOP_LOCAL_DIR/kafka.sh"
FHIR_SH="$CARELOOP_LOCAL_DIR/fhir/fhir.sh"

LOCAL_KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
LOCAL_MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/"
LOCAL_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
LOCAL_FHIR_BASE_URL="http://127.0.0.1:$FHIR_PORT/fhir"

COMPONENTS=(kafka mongo redis fhir)

case "$MONGO_BACKEND" in
  postgresql | sqlite) ;;
  postgres | pg) MONGO_BACKEND=postgresql ;;
  *) die "CARELOOP_MONGO_BACKEND must be postgresql or sqlite, not '$MONGO_BACKEND'" ;;
esac

# ---------------------------------------------------------------- external components

# A variable pointing at the local instance's own address (e.g. after `source <(infra.sh env)`)
# does not make the component external: only another address does.
is_external() {
  case "$1" in
    kafka) [[ -n "${KAFKA_BROKERS:-}" && "$KAFKA_BROKERS" != "$LOCAL_KAFKA_BROKERS" && "$KAFKA_BROKERS" != "localhost:$KAFKA_PORT" ]] ;;
    mongo) [[ -n "${MONGODB_URI:-}" && ! "$MONGODB_URI" =~ ^mongodb://(127\.0\.0\.1|localhost):$MONGO_PORT(/|$) ]] ;;
    redis) [[ -n "${REDIS_URL:-}" && ! "$REDIS_URL" =~ ^redis://(127\.0\.0\.1|localhost):$REDIS_PORT(/|$) ]] ;;
    fhir) [[ -n "${FHIR_BASE_URL:-}" && ! "$FHIR_BASE_URL" =~ ^http://(127\.0\.0\.1|localhost):$FHIR_PORT/fhir/?$ ]] ;;
  esac
}

external_value() {
  case "$1" in
    kafka) printf '%s' "$KAFKA_BROKERS" ;;
    mongo) printf '%s' "$MONGODB_URI" ;;
    redis) printf '%s' "$REDIS_URL" ;;
    fhir) printf '%s' "$FHIR_BASE_URL" ;;
  esac
}

# First host:port of an external address, for a reachability check (empty if unknown,
# e.g. mongodb+srv:// or a unix socket).
external_hostport() {
  local v
  v="$(external_value "$1")"
  case "$1" in
    kafka) v="${v%%,*}" ;;
    mongo)
      [[ "$v" == mongodb://* ]] || return 0
      v="${v#mongodb://}"; v="${v##*@}"; v="${v%%/*}"; v="${v%%\?*}"; v="${v%%,*}"
      [[ "$v" == *:* ]] || v="$v:27017" ;;
    redis)
      [[ "$v" == redis://* || "$v" == rediss://* ]] || return 0
      v="${v#*://}"; v="${v##*@}"; v="${v%%/*}"; v="${v%%\?*}"
      [[ "$v" == *:* ]] || v="$v:6379" ;;
    fhir)
      case "$v" in
        http://*) v="${v#http://}"; v="${v%%/*}"; [[ "$v" == *:* ]] || v="$v:80" ;;
        https://*) v="${v#https://}"; v="${v%%/*}"; [[ "$v" == *:* ]] || v="$v:443" ;;
        *) return 0 ;;
      esac
      v="${v##*@}" ;;
  esac
  [[ "$v" =~ ^[A-Za-z0-9._-]+:[0-9]+$ ]] && printf '%s' "$v"
}

external_status() {
  local c="$1" hp
  hp="$(external_hostport "$c")"
  if [[ -z "$hp" ]]; then
    printf '%-6s external  %s  (not checked)\n' "$c" "$(external_value "$c")"
  # Bounded: a connect to an unreachable remote host can otherwise hang for minutes.
  elif timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${hp%:*}" "${hp##*:}" 2>/dev/null; then
    printf '%-6s external  %s  (reachable)\n' "$c" "$(external_value "$c")"
  else
    printf '%-6s external  %s  (UNREACHABLE)\n' "$c" "$(external_value "$c")"
    return 1
  fi
}

# ---------------------------------------------------------------- Kafka (see kafka.sh)

kafka_install() { "$KAFKA_SH" install; }
kafka_start() {
  "$KAFKA_SH" start --data-dir "$KAFKA_DIR" --port "$KAFKA_PORT" --controller-port "$KAFKA_CONTROLLER_PORT" --no-wait
}
kafka_wait() { "$KAFKA_SH" wait --data-dir "$KAFKA_DIR"; }
kafka_stop() { "$KAFKA_SH" stop --data-dir "$KAFKA_DIR"; }
kafka_status() { "$KAFKA_SH" status --data-dir "$KAFKA_DIR"; }
kafka_logs() { printf '%s\n' "$KAFKA_DIR/server.log" "$KAFKA_DIR/kafka.out"; }

# ---------------------------------------------------------------- FHIR R4 server (see fhir/fhir.sh)

fhir_install() { "$FHIR_SH" install; }
fhir_start() { "$FHIR_SH" start --data-dir "$FHIR_DIR" --port "$FHIR_PORT" --no-wait; }
fhir_wait() { "$FHIR_SH" wait --data-dir "$FHIR_DIR"; }
fhir_stop() { "$FHIR_SH" stop --data-dir "$FHIR_DIR"; }
fhir_status() { "$FHIR_SH" status --data-dir "$FHIR_DIR"; }
fhir_logs() { printf '%s\n' "$FHIR_DIR/fhir.log"; }

# ---------------------------------------------------------------- apt-get

# apt_install WHAT HINT [APT-OPTIONS...] PKG...: install Debian packages as root or with
# passwordless sudo (which is then left in APT_SUDO for follow-up commands). A failed install
# (e.g. no package lists yet on a fresh machine) is retried once after `apt-get update`. HINT
# tells the user what to do instead when apt-get cannot be used.
apt_install() {
  local what="$1" hint="$2"
  shift 2
  command -v apt-get >/dev/null 2>&1 || die "$what not found and apt-get is unavailable: $hint"
  APT_SUDO=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      APT_SUDO=(sudo -n)
    else
      die "$what not found; install it (sudo apt-get install -y $*) or: $hint"
    fi
  fi
  log "installing $* with apt-get (first run only)"
  local -a install=("${APT_SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q
    -o Dpkg::Use-Pty=0 -o DPkg::Lock::Timeout=120 "$@")
  if ! "${install[@]}" >&2 9>&-; then
    log "apt-get install failed; running apt-get update and retrying"
    "${APT_SUDO[@]}" apt-get update -q -o DPkg::Lock::Timeout=120 >&2 9>&- || true
    "${install[@]}" >&2 9>&- || die "apt-get install $* failed (see output above)"
  fi
}

# ---------------------------------------------------------------- PostgreSQL (FerretDB's backend)

# A dedicated cluster (not Debian's `main` cluster or service) in $CARELOOP_DATA/postgres:
# data/ (PGDATA), postgres.log. Role and database `ferretdb`, trust authentication, TCP on
# 127.0.0.1 only (no Unix socket). PostgreSQL refuses to run as root: as root, the server
# programs run as the `postgres` user that Debian's package creates.
PG_DIR="$CARELOOP_DATA/postgres"
PG_ROLE=ferretdb
PG_DB=ferretdb
# sslmode=disable: the cluster has no TLS; this also overrides a PGSSLMODE the user may have set.
# pool_max_conns: FerretDB v1 holds a pooled connection while it waits for its metadata lock, and
# the lock's holder may wait for a pooled connection: with its default pool of 50 and more
# concurrent requests than that (several services' driver pools at once), it deadlocks for good.
# A pool larger than the clients' combined concurrency (MONGODB_MAX_POOL_SIZE per service) avoids it.
PG_URL="postgres://$PG_ROLE@127.0.0.1:$PG_PORT/$PG_DB?sslmode=disable&pool_max_conns=250"
PG_SQL="$CARELOOP_LOCAL_DIR/postgres/gin-indexes.sql"
PG_BIN="${CARELOOP_PG_BIN:-}"

# The directory holding initdb, pg_ctl, postgres, psql and pg_isready: CARELOOP_PG_BIN, else the
# newest Debian /usr/lib/postgresql/<major>/bin, else the one of `pg_ctl` on PATH. Empty if none.
pg_find_bin() {
  [[ -n "$PG_BIN" ]] && return 0
  local d
  while read -r d; do
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" && -x "$d/psql" && -x "$d/pg_isready" ]]; then
      PG_BIN="$d"
      return 0
    fi
  done < <(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -t/ -k5,5nr)
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    PG_BIN="$(dirname "$(command -v pg_ctl)")"
  fi
  return 0
}

# The cluster directory as the server sees it: $PG_DIR, or its target when it is a symlink
# (see pg_prepare_dir).
pg_real_dir() {
  if [[ -L "$PG_DIR" ]]; then readlink -f "$PG_DIR"; else printf '%s\n' "$PG_DIR"; fi
}

# pg_as CMD...: run a server program as the cluster owner (`postgres` when we are root), from /
# (the caller's directory may be unreadable for that user), without the lock's fd 9.
pg_as() {
  if [[ "$(id -u)" == 0 ]]; then
    (cd / && exec runuser -u postgres -- "$@") 9>&-
  else
    (cd / && exec "$@") 9>&-
  fi
}

pg_psql() {
  PGSSLMODE=disable "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" "$@" 9>&-
}

pg_install() {
  pg_find_bin
  [[ -n "$PG_BIN" ]] && return 0
  apt_install PostgreSQL "install PostgreSQL (initdb, pg_ctl, postgres, psql) and set CARELOOP_PG_BIN, or use CARELOOP_MONGO_BACKEND=sqlite" \
    --no-install-recommends postgresql
  pg_find_bin
  [[ -n "$PG_BIN" ]] || die "PostgreSQL server programs still not found after installing postgresql"
  # Debian's package creates its own `main` cluster (port 5432) and, on a machine with systemd,
  # enables and starts it. These scripts never use it: keep it from running.
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null 2>&1; then
    log "disabling Debian's own postgresql service (not used here; our cluster runs on port $PG_PORT)"
    "${APT_SUDO[@]}" systemctl disable --now postgresql.service >&2 9>&- || warn "could not disable postgresql.service"
  fi
}

# As root, the cluster directory must be reachable by `postgres`. If a parent of CARELOOP_DATA is
# not searchable by other users (e.g. a checkout under /root), the cluster goes to postgres's home
# directory instead and $PG_DIR becomes a symlink to it (`down --purge` deletes both).
pg_prepare_dir() {
  if [[ "$(id -u)" != 0 ]]; then
    mkdir -p "$PG_DIR"
    chmod 700 "$PG_DIR"
    return 0
  fi
  id postgres >/dev/null 2>&1 || die "user postgres not found (needed to run PostgreSQL as root); install Debian's postgresql package"
  [[ -e "$PG_DIR" ]] || mkdir -p "$PG_DIR"
  if [[ ! -L "$PG_DIR" ]]; then
    chown postgres:postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    runuser -u postgres -- test -w "$PG_DIR" 2>/dev/null && return 0
    [[ -z "$(ls -A "$PG_DIR")" ]] || die "user postgres cannot write to $PG_DIR (a parent directory is not searchable by other users?); empty it or set CARELOOP_DATA"
    rmdir "$PG_DIR"
    local home alt
    home="$(getent passwd postgres | cut -d: -f6)"
    alt="$home/careloop/$(cd "$CARELOOP_DATA" && pwd -P | sha256sum | cut -c1-12)"
    mkdir -p "$alt"
    chown postgres:postgres "$home/careloop" "$alt"
    chmod 700 "$alt"
    ln -s "$alt" "$PG_DIR"
    log "user postgres cannot reach $CARELOOP_DATA (a parent directory is not searchable by others): cluster in $alt, linked from $PG_DIR"
  fi
  runuser -u postgres -- test -w "$(pg_real_dir)" 2>/dev/null || die "user postgres cannot write to $(pg_real_dir)"
}

# Creates the cluster once: role ferretdb (superuser), UTF8, C locale (FerretDB accepts C, POSIX,
# C.UTF-8 and en_US.UTF-8 only), trust authentication. In a temporary directory first, so that an
# interrupted initdb never leaves a half-made cluster behind.
pg_init() {
  local real
  real="$(pg_real_dir)"
  [[ -f "$real/data/PG_VERSION" ]] && return 0
  pg_prepare_dir
  real="$(pg_real_dir)"
  pg_as touch "$real/postgres.log"
  pg_as rm -rf "$real/data.tmp"
  log "creating the PostgreSQL cluster in $real/data (first run only)"
  printf '=== %s initdb (the data.tmp directory it mentions is renamed to data) ===\n' "$(date -Is)" |
    pg_as tee -a "$real/postgres.log" >/dev/null
  if ! pg_as "$PG_BIN/initdb" -D "$real/data.tmp" -U "$PG_ROLE" --auth=trust --encoding=UTF8 --no-locale \
    >>"$real/postgres.log" 2>&1; then
    tail_file "$real/postgres.log" 30
    die "initdb failed; see $PG_DIR/postgres.log"
  fi
  # Settings live in careloop.conf, rewritten by every start (pg_write_conf).
  printf "\n# Careloop: local settings, rewritten by deploy/local/infra.sh on every start\ninclude_if_exists = 'careloop.conf'\n" |
    pg_as tee -a "$real/data.tmp/postgresql.conf" >/dev/null
  pg_as mv "$real/data.tmp" "$real/data"
}

pg_write_conf() {
  local real
  real="$(pg_real_dir)"
  # plan_cache_mode: FerretDB uses prepared statements with the field name as a parameter; only
  # custom plans see `_jsonb -> '_id'` and can use the GIN indexes of postgres/gin-indexes.sql.
  pg_as tee "$real/data/careloop.conf" >/dev/null <<CONF
# Written by deploy/local/infra.sh on every start: edit the script, not this file.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = ''
max_connections = 300
shared_buffers = 32MB
max_wal_size = 256MB
jit = off
plan_cache_mode = force_custom_plan
log_min_messages = warning
log_line_prefix = '%m [%p] '
CONF
}

pg_version() { "$PG_BIN/postgres" --version | awk '{print $3}'; }

pg_pid() {
  local pid real
  real="$(pg_real_dir)"
  pid="$(head -n 1 "$real/data/postmaster.pid" 2>/dev/null | tr -dc '0-9' || true)"
  # pg_ctl starts the server as `postgres -D <data dir>`.
  if [[ -n "$pid" ]] && pid_matches "$pid" "-D $real/data "; then
    printf '%s\n' "$pid"
  fi
}

pg_start() {
  local pid real
  pid="$(pg_pid)"
  if [[ -n "$pid" ]]; then
    log "PostgreSQL already running (pid $pid) on 127.0.0.1:$PG_PORT"
    return 0
  fi
  port_open 127.0.0.1 "$PG_PORT" &&
    die "port $PG_PORT on 127.0.0.1 is already in use by another process; set CARELOOP_PG_PORT (or CARELOOP_MONGO_BACKEND=sqlite)"
  pg_init
  pg_write_conf
  real="$(pg_real_dir)"
  printf '\n=== %s starting PostgreSQL on 127.0.0.1:%s ===\n' "$(date -Is)" "$PG_PORT" | pg_as tee -a "$real/postgres.log" >/dev/null
  # pg_ctl puts the server in its own session (setsid): a Ctrl-C in this terminal does not reach it.
  pg_as "$PG_BIN/pg_ctl" -D "$real/data" -l "$real/postgres.log" -s -W start >&2 ||
    { tail_file "$real/postgres.log" 30; die "pg_ctl start failed; see $PG_DIR/postgres.log"; }
  log "PostgreSQL $(pg_version) starting on 127.0.0.1:$PG_PORT, data in $real/data"
}

# Waits until the server accepts connections, then creates the database and applies
# postgres/gin-indexes.sql (idempotent) if this cluster has not had the current version yet.
pg_wait() {
  local i real stamp
  real="$(pg_real_dir)"
  for ((i = 0; ; i++)); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d postgres 9>&-; then
      break
    fi
    if ((i >= START_TIMEOUT * 5)) || { ((i >= 10)) && [[ -z "$(pg_pid)" ]]; }; then
      tail_file "$real/postgres.log" 30
      die "PostgreSQL is not accepting connections on 127.0.0.1:$PG_PORT; see $PG_DIR/postgres.log"
    fi
    sleep 0.2
  done
  stamp="$PG_DB $(sha256sum <"$PG_SQL" | cut -c1-12)"
  if [[ "$(cat "$real/data/careloop.setup" 2>/dev/null || true)" != "$stamp" ]]; then
    if [[ "$(pg_psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")" != 1 ]]; then
      pg_psql -d postgres -c "CREATE DATABASE $PG_DB" >&2 || die "could not create database $PG_DB"
    fi
    PGOPTIONS='-c client_min_messages=warning' pg_psql -d "$PG_DB" -f "$PG_SQL" >&2 ||
      die "applying $PG_SQL failed"
    printf '%s\n' "$stamp" | pg_as tee "$real/data/careloop.setup" >/dev/null
  fi
  log "PostgreSQL ready on 127.0.0.1:$PG_PORT (pid $(pg_pid), database $PG_DB)"
}

pg_stop() {
  local pid real
  pid="$(pg_pid)"
  if [[ -z "$pid" ]]; then
    [[ "$MONGO_BACKEND" != postgresql ]] || log "PostgreSQL is not running"
    return 0
  fi
  real="$(pg_real_dir)"
  log "stopping PostgreSQL (pid $pid)"
  if ! pg_as "$PG_BIN/pg_ctl" -D "$real/data" -m fast -w -t 30 -s stop >&2; then
    warn "PostgreSQL did not stop within 30s, stopping it with -m immediate"
    pg_as "$PG_BIN/pg_ctl" -D "$real/data" -m immediate -w -t 30 -s stop >&2 || die "could not stop PostgreSQL (pid $pid)"
  fi
}

# Proportional set size of a process and its children (shared memory counted once), e.g. "95 MiB".
pss_tree_of() {
  local kb=0 p v
  for p in "$1" $(cat "/proc/$1/task/$1/children" 2>/dev/null || true); do
    v="$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)"
    kb=$((kb + ${v:-0}))
  done
  printf '%d MiB' $((kb / 1024))
}

pg_status() {
  local pid
  pid="$(pg_pid)"
  if [[ -n "$pid" ]]; then
    printf '%-6s running   pid=%s  addr=127.0.0.1:%s  pss=%s  PostgreSQL %s (for FerretDB)  data=%s\n' \
      pg "$pid" "$PG_PORT" "$(pss_tree_of "$pid")" "$(pg_version)" "$(pg_real_dir)/data"
  else
    printf '%-6s stopped   (PostgreSQL for FerretDB, 127.0.0.1:%s)\n' pg "$PG_PORT"
    return 1
  fi
}

# ---------------------------------------------------------------- FerretDB

FERRETDB_SRC="$CARELOOP_LOCAL_DIR/ferretdb"
FERRETDB_VERSION="$(awk '$1 == "github.com/FerretDB/FerretDB" {print $2; exit} $2 == "github.com/FerretDB/FerretDB" {print $3; exit}' "$FERRETDB_SRC/go.mod")"
[[ -n "$FERRETDB_VERSION" ]] || die "cannot read the FerretDB version from $FERRETDB_SRC/go.mod"
FERRETDB_SQLITE_DIR="$MONGO_DIR/sqlite"

# The binary name carries the FerretDB version and a hash of the wrapper sources, so editing
# main.go/go.mod/go.sum rebuilds and an unchanged checkout (or a fresh clone) reuses it.
ferretdb_bin() {
  local sum
  sum="$(cat "$FERRETDB_SRC/go.mod" "$FERRETDB_SRC/go.sum" "$FERRETDB_SRC/main.go" | sha256sum | cut -c1-12)"
  printf '%s\n' "$CARELOOP_CACHE/ferretdb/ferretdb-$FERRETDB_VERSION-$sum"
}

ferretdb_build() {
  local bin
  bin="$(ferretdb_bin)"
  [[ -x "$bin" ]] && return 0
  command -v go >/dev/null 2>&1 || die "go not found: Go is needed once to build FerretDB (or set MONGODB_URI to an existing MongoDB)"
  log "building FerretDB $FERRETDB_VERSION into $bin (first run only; a few minutes, 1-2 GB of memory)"
  mkdir -p "$(dirname "$bin")"
  local start=$SECONDS
  if ! (cd "$FERRETDB_SRC" && CGO_ENABLED=0 GOFLAGS=-mod=readonly go build -trimpath -buildvcs=false \
    -ldflags='-s -w' -o "$bin.tmp.$$" . >&2); then
    rm -f "$bin.tmp.$$"
    die "building FerretDB failed (see the Go output above)"
  fi
  mv -f "$bin.tmp.$$" "$bin"
  log "FerretDB built in $((SECONDS - start))s"
}

mongo_install() {
  with_lock "$CARELOOP_CACHE/.ferretdb-build.lock" ferretdb_build
  [[ "$MONGO_BACKEND" != postgresql ]] || pg_install
}

# The backend arguments FerretDB gets (and that its command line is checked for).
ferretdb_backend_args() {
  case "$MONGO_BACKEND" in
    postgresql) printf '%s\n' -postgresql-url "$PG_URL" ;;
    sqlite) printf '%s\n' -sqlite-dir "$FERRETDB_SQLITE_DIR" ;;
  esac
}

mongo_pid() {
  local pid
  pid="$(read_pid "$MONGO_DIR/ferretdb.pid")"
  # Whatever the backend: the listen address comes first on the command line.
  if [[ -n "$pid" ]] && pid_matches "$pid" "-listen-addr 127.0.0.1:$MONGO_PORT "; then
    printf '%s\n' "$pid"
  fi
}

# True if the running FerretDB (pid $1) uses the backend selected now.
mongo_backend_matches() {
  local -a args
  mapfile -t args < <(ferretdb_backend_args)
  pid_matches "$1" "-listen-addr 127.0.0.1:$MONGO_PORT ${args[*]} "
}

# Sends a real MongoDB command, OP_MSG {ping: 1, $db: "admin"}, and checks for {ok: 1}.
# FerretDB answers a ping only once its backend works (for PostgreSQL: connected, settings checked).
# shellcheck disable=SC2016 # the script runs in a child bash, which expands it
mongo_ping() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    # header: length 51, requestID 1, responseTo 0, opCode 2013 (OP_MSG); flags 0; section 0;
    # BSON {ping: int32(1), $db: "admin"} (30 bytes)
    printf "\x33\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\xdd\x07\x00\x00\x00\x00\x00\x00\x00\x1e\x00\x00\x00\x10ping\x00\x01\x00\x00\x00\x02\$db\x00\x06\x00\x00\x00admin\x00\x00" >&3
    len="$(dd bs=1 count=4 <&3 2>/dev/null | od -An -tu4 | tr -d " \n")"
    [[ "$len" =~ ^[0-9]+$ ]] && ((len > 16 && len < 1048576)) || exit 1
    reply="$(dd bs=1 count=$((len - 4)) <&3 2>/dev/null | od -An -v -tx1 | tr -d "\n" | tr -s " ")"
    # "ok" as double 1.0 or as int32 1
    [[ "$reply" == *"01 6f 6b 00 00 00 00 00 00 00 f0 3f"* || "$reply" == *"10 6f 6b 00 01 00 00 00"* ]]
  ' 127.0.0.1 "$MONGO_PORT" 2>/dev/null
}

mongo_start() {
  local pid bin
  local -a args
  # PostgreSQL first, ready and set up before FerretDB starts (Kafka boots meanwhile).
  if [[ "$MONGO_BACKEND" == postgresql ]]; then
    pg_start
    pg_wait
  fi
  pid="$(mongo_pid)"
  # Switching CARELOOP_MONGO_BACKEND: only FerretDB restarts (a second or less without it).
  if [[ -n "$pid" ]] && ! mongo_backend_matches "$pid"; then
    log "FerretDB (pid $pid) runs on another backend than CARELOOP_MONGO_BACKEND=$MONGO_BACKEND: restarting it"
    ferretdb_stop
    pid=""
  fi
  if [[ -n "$pid" ]] && ! mongo_answers_within 30; then
    # Seen under heavy concurrent DDL from several test processes: the process lives, the port
    # is open, but no command is ever answered. Waiting cannot help; a restart does.
    warn "FerretDB (pid $pid) is running but has not answered a ping for 30s: restarting it"
    ferretdb_stop
    pid=""
  fi
  if [[ -n "$pid" ]]; then
    log "FerretDB already running (pid $pid) on 127.0.0.1:$MONGO_PORT"
    return 0
  fi
  port_open 127.0.0.1 "$MONGO_PORT" &&
    die "port $MONGO_PORT on 127.0.0.1 is already in use by another process; set CARELOOP_MONGO_PORT or MONGODB_URI"
  bin="$(ferretdb_bin)"
  [[ -x "$bin" ]] || die "FerretDB binary $bin missing (install step failed?)"
  mapfile -t args < <(ferretdb_backend_args)
  [[ "$MONGO_BACKEND" != sqlite ]] || mkdir -p "$FERRETDB_SQLITE_DIR"
  printf '\n=== %s starting FerretDB %s on 127.0.0.1:%s (%s) ===\n' "$(date -Is)" "$FERRETDB_VERSION" "$MONGO_PORT" "$MONGO_BACKEND" >>"$MONGO_DIR/ferretdb.log"
  # -listen-addr first and -log-level last: mongo_pid and mongo_backend_matches rely on the order.
  setsid "$bin" -listen-addr "127.0.0.1:$MONGO_PORT" "${args[@]}" -log-level "$MONGO_LOG_LEVEL" \
    </dev/null >>"$MONGO_DIR/ferretdb.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$MONGO_DIR/ferretdb.pid"
  log "FerretDB $FERRETDB_VERSION starting (pid $pid) on 127.0.0.1:$MONGO_PORT, backend $MONGO_BACKEND (${args[1]})"
}

# mongo_answers_within SECONDS: whether FerretDB answers a ping within that many seconds.
mongo_answers_within() {
  local deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    port_open 127.0.0.1 "$MONGO_PORT" && mongo_ping && return 0
    sleep 0.5
  done
  return 1
}

mongo_wait() {
  local pid deadline=$((SECONDS + START_TIMEOUT))
  # A wall-clock deadline: each ping may itself wait up to 5 s.
  while ((SECONDS < deadline)); do
    pid="$(read_pid "$MONGO_DIR/ferretdb.pid")"
    if ! pid_alive "$pid"; then
      tail_file "$MONGO_DIR/ferretdb.log" 30
      die "FerretDB exited during start; see $MONGO_DIR/ferretdb.log"
    fi
    if port_open 127.0.0.1 "$MONGO_PORT" && mongo_ping; then
      log "FerretDB ready on 127.0.0.1:$MONGO_PORT (pid $pid, answered ping)"
      return 0
    fi
    sleep 0.2
  done
  tail_file "$MONGO_DIR/ferretdb.log" 30
  die "FerretDB did not answer a ping within ${START_TIMEOUT}s; see $MONGO_DIR/ferretdb.log"
}

ferretdb_stop() {
  local pid
  pid="$(mongo_pid)"
  if [[ -z "$pid" ]]; then
    log "FerretDB is not running"
  else
    stop_pid "$pid" "FerretDB (127.0.0.1:$MONGO_PORT)" 15
  fi
  rm -f "$MONGO_DIR/ferretdb.pid"
}

# FerretDB first (it holds connections to PostgreSQL), then PostgreSQL if it runs (whatever the
# selected backend, so that `down` after switching to sqlite still stops it).
mongo_stop() {
  ferretdb_stop
  pg_find_bin
  [[ -z "$PG_BIN" ]] || pg_stop
}

mongo_status() {
  local pid rc=0 backend
  if [[ "$MONGO_BACKEND" == postgresql ]]; then
    pg_find_bin
    if [[ -z "$PG_BIN" ]]; then
      printf '%-6s missing   (PostgreSQL is not installed; run: %s up)\n' pg "$0"
      rc=1
    else
      pg_status || rc=1
    fi
    backend="PostgreSQL $PG_URL"
  else
    backend="SQLite $FERRETDB_SQLITE_DIR"
  fi
  pid="$(mongo_pid)"
  if [[ -n "$pid" ]] && mongo_backend_matches "$pid"; then
    printf '%-6s running   pid=%s  addr=127.0.0.1:%s  rss=%s  FerretDB %s  backend=%s\n' \
      mongo "$pid" "$MONGO_PORT" "$(rss_of "$pid")" "$FERRETDB_VERSION" "$backend"
  elif [[ -n "$pid" ]]; then
    printf '%-6s running   pid=%s  addr=127.0.0.1:%s  FerretDB %s on ANOTHER backend than %s (run: %s up)\n' \
      mongo "$pid" "$MONGO_PORT" "$FERRETDB_VERSION" "$MONGO_BACKEND" "$0"
    rc=1
  else
    printf '%-6s stopped   (FerretDB, 127.0.0.1:%s, backend %s)\n' mongo "$MONGO_PORT" "$MONGO_BACKEND"
    rc=1
  fi
  return "$rc"
}

mongo_logs() {
  printf '%s\n' "$MONGO_DIR/ferretdb.log"
  [[ "$MONGO_BACKEND" != postgresql ]] || pg_logs
}
pg_logs() { printf '%s\n' "$PG_DIR/postgres.log"; }

# ---------------------------------------------------------------- Redis

redis_install() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  apt_install redis-server "install Redis yourself or set REDIS_URL" redis-server
  command -v redis-server >/dev/null 2>&1 || die "redis-server still not on PATH after installing it"
}

redis_pid() {
  local pid
  pid="$(read_pid "$REDIS_DIR/redis.pid")"
  # redis-server sets its process title to "redis-server 127.0.0.1:PORT".
  if [[ -n "$pid" ]] && pid_matches "$pid" "127.0.0.1:$REDIS_PORT"; then
    printf '%s\n' "$pid"
  fi
}

redis_start() {
  local pid
  pid="$(redis_pid)"
  if [[ -n "$pid" ]]; then
    log "Redis already running (pid $pid) on 127.0.0.1:$REDIS_PORT"
    return 0
  fi
  port_open 127.0.0.1 "$REDIS_PORT" &&
    die "port $REDIS_PORT on 127.0.0.1 is already in use by another process; set CARELOOP_REDIS_PORT or REDIS_URL"
  mkdir -p "$REDIS_DIR"
  rm -f "$REDIS_DIR/redis.pid"
  # A dedicated instance (not Debian's system service), without persistence: tests do not need it.
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --daemonize yes \
    --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" --save "" --appendonly no \
    --loglevel notice 9>&- >&2 </dev/null ||
    { tail_file "$REDIS_DIR/redis.log"; die "redis-server failed to start; see $REDIS_DIR/redis.log"; }
  log "Redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p') starting on 127.0.0.1:$REDIS_PORT"
}

redis_wait() {
  local i
  for ((i = 0; i < START_TIMEOUT * 5; i++)); do
    if [[ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; then
      log "Redis ready on 127.0.0.1:$REDIS_PORT (pid $(read_pid "$REDIS_DIR/redis.pid"), answered PONG)"
      return 0
    fi
    sleep 0.2
  done
  tail_file "$REDIS_DIR/redis.log" 30
  die "Redis did not answer PING within ${START_TIMEOUT}s; see $REDIS_DIR/redis.log"
}

redis_stop() {
  local pid
  pid="$(redis_pid)"
  if [[ -z "$pid" ]]; then
    log "Redis is not running"
  else
    log "stopping Redis (pid $pid)"
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    stop_pid "$pid" "Redis (127.0.0.1:$REDIS_PORT)" 10
  fi
  rm -f "$REDIS_DIR/redis.pid"
}

redis_status() {
  local pid
  pid="$(redis_pid)"
  if [[ -n "$pid" ]]; then
    printf '%-6s running   pid=%s  addr=127.0.0.1:%s  rss=%s\n' redis "$pid" "$REDIS_PORT" "$(rss_of "$pid")"
  else
    printf '%-6s stopped   (127.0.0.1:%s)\n' redis "$REDIS_PORT"
    return 1
  fi
}

redis_logs() { printf '%s\n' "$REDIS_DIR/redis.log"; }

# ---------------------------------------------------------------- commands

local_components() {
  local c
  for c in "${COMPONENTS[@]}"; do
    if is_external "$c"; then
      log "$c: external ($(external_value "$c")), not managed here"
    else
      printf '%s\n' "$c"
    fi
  done
}

status_line() {
  if is_external "$1"; then external_status "$1"; else "${1}_status"; fi
}

cmd_status() {
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    status_line "$c" || rc=1
  done
  return "$rc"
}

up_locked() {
  local start=$SECONDS c
  local -a comps
  mapfile -t comps < <(local_components)
  mkdir -p "$KAFKA_DIR" "$MONGO_DIR" "$REDIS_DIR" "$FHIR_DIR"
  # Installs run one after the other (the Go and Maven builds each take both cores).
  for c in "${comps[@]}"; do "${c}_install"; done
  # Kafka and the FHIR server take longest to boot: all start before any is waited for.
  for c in "${comps[@]}"; do "${c}_start"; done
  for c in "${comps[@]}"; do
    if [[ "$c" == kafka ]]; then kafka_wait; else "${c}_wait"; fi
  done
  log "all up in $((SECONDS - start))s:"
  cmd_status | sed 's/^/  /' >&2 || die "some component is not running after up"
  log "use it with:  set -a; source <($0 env); set +a"
}

cmd_up() {
  mkdir -p "$CARELOOP_DATA"
  with_lock "$CARELOOP_DATA/.infra.lock" up_locked
}

down_locked() {
  local c purge="$1"
  local -a comps
  mapfile -t comps < <(local_components)
  for c in "${comps[@]}"; do "${c}_stop"; done
  if [[ "$purge" == 1 ]]; then
    case "$(cd "$CARELOOP_DATA" 2>/dev/null && pwd || echo "$CARELOOP_DATA")" in
      / | "$HOME" | "$CARELOOP_REPO_ROOT" | "$CARELOOP_CACHE") die "refusing to delete CARELOOP_DATA=$CARELOOP_DATA" ;;
    esac
    # As root with an unreachable data dir, the PostgreSQL cluster lives in postgres's home
    # directory and $CARELOOP_DATA/postgres is a symlink to it (see pg_prepare_dir).
    if [[ -L "$PG_DIR" ]]; then
      local target
      target="$(readlink -f "$PG_DIR")"
      case "$target" in
        */careloop/[0-9a-f]*) log "deleting $target"; rm -rf "$target" ;;
      esac
    fi
    log "deleting $CARELOOP_DATA"
    rm -rf "$CARELOOP_DATA"
  fi
}

cmd_down() {
  local purge=0
  case "${1:-}" in
    "") ;;
    --purge) purge=1 ;;
    *) die "unknown option for down: $1 (only --purge)" ;;
  esac
  [[ -d "$CARELOOP_DATA" ]] || { log "nothing to stop ($CARELOOP_DATA does not exist)"; return 0; }
  with_lock "$CARELOOP_DATA/.infra.lock" down_locked "$purge"
}

cmd_logs() {
  local follow=0 c
  local -a comps=() files=()
  for c in "$@"; do
    case "$c" in
      -f | --follow) follow=1 ;;
      kafka | mongo | redis | fhir) comps+=("$c") ;;
      pg | postgres | postgresql) comps+=(pg) ;;
      *) die "unknown component: $c (kafka|mongo|pg|redis|fhir)" ;;
    esac
  done
  [[ ${#comps[@]} -gt 0 ]] || comps=("${COMPONENTS[@]}")
  for c in "${comps[@]}"; do
    if [[ "$c" == pg ]] && is_external mongo; then
      log "mongo is external ($(external_value mongo)): no local PostgreSQL"
      continue
    elif [[ "$c" != pg ]] && is_external "$c"; then
      log "$c is external ($(external_value "$c")): no local logs"
      continue
    fi
    mapfile -t -O "${#files[@]}" files < <("${c}_logs")
  done
  local -a existing=()
  for c in "${files[@]}"; do [[ -f "$c" ]] && existing+=("$c"); done
  [[ ${#existing[@]} -gt 0 ]] || { log "no log files yet (run: $0 up)"; return 0; }
  if [[ "$follow" == 1 ]]; then
    exec tail -n "${CARELOOP_LOG_LINES:-50}" -F "${existing[@]}"
  else
    tail -n "${CARELOOP_LOG_LINES:-100}" "${existing[@]}"
  fi
}

# Values are quoted only when needed, so the output works with `source`, `eval` and dotenv.
env_line() {
  if [[ "$2" =~ ^[A-Za-z0-9_@%+=:,./?-]*$ ]]; then
    printf '%s=%s\n' "$1" "$2"
  else
    printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
  fi
}

cmd_env() {
  if is_external kafka; then env_line KAFKA_BROKERS "$KAFKA_BROKERS"; else env_line KAFKA_BROKERS "$LOCAL_KAFKA_BROKERS"; fi
  if is_external mongo; then env_line MONGODB_URI "$MONGODB_URI"; else env_line MONGODB_URI "$LOCAL_MONGODB_URI"; fi
  if is_external redis; then env_line REDIS_URL "$REDIS_URL"; else env_line REDIS_URL "$LOCAL_REDIS_URL"; fi
  if is_external fhir; then env_line FHIR_BASE_URL "$FHIR_BASE_URL"; else env_line FHIR_BASE_URL "$LOCAL_FHIR_BASE_URL"; fi
}

usage() {
  # The header comment (after the shebang, up to the first non-comment line).
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}" >&2
  exit "${1:-2}"
}

main() {
  [[ $# -ge 1 ]] || usage
  local cmd="$1"
  shift
  case "$cmd" in
    up) [[ $# -eq 0 ]] || die "up takes no arguments"; cmd_up ;;
    down) cmd_down "$@" ;;
    status) cmd_status ;;
    logs) cmd_logs "$@" ;;
    env) cmd_env ;;
    -h | --help | help) usage 0 ;;
    *) die "unknown command: $cmd (up|down|status|logs|env)" ;;
  esac
}

main "$@"

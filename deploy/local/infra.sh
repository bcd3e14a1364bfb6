#!/usr/bin/env bash
# Careloop local infrastructure without Docker: Apache Kafka (KRaft), FerretDB (MongoDB wire
# protocol on SQLite) and Redis, installed on first use and started as plain processes.
#
#   infra.sh up                 install what is missing, start what is not running, wait until ready
#   infra.sh down [--purge]     stop everything (data kept; --purge also deletes the data dir)
#   infra.sh status             one line per component; exit 0 only if all are up
#   infra.sh logs [kafka|mongo|redis] [-f]   print (or follow) the log files
#   infra.sh env                KAFKA_BROKERS=..., MONGODB_URI=..., REDIS_URL=... (shell/dotenv)
#
# A component whose variable (KAFKA_BROKERS, MONGODB_URI, REDIS_URL) is already set to another
# address is external: it is neither installed nor started here. See deploy/local/README.md.
set -euo pipefail

# shellcheck source=lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

KAFKA_PORT="${CARELOOP_KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${CARELOOP_KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
MONGO_PORT="${CARELOOP_MONGO_PORT:-27027}"
REDIS_PORT="${CARELOOP_REDIS_PORT:-16379}"
MONGO_LOG_LEVEL="${CARELOOP_MONGO_LOG_LEVEL:-warn}"
START_TIMEOUT="${CARELOOP_START_TIMEOUT:-60}"

KAFKA_DIR="$CARELOOP_DATA/kafka"
MONGO_DIR="$CARELOOP_DATA/mongo"
REDIS_DIR="$CARELOOP_DATA/redis"
KAFKA_SH="$CARELOOP_LOCAL_DIR/kafka.sh"

LOCAL_KAFKA_BROKERS="127.0.0.1:$KAFKA_PORT"
LOCAL_MONGODB_URI="mongodb://127.0.0.1:$MONGO_PORT/"
LOCAL_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"

COMPONENTS=(kafka mongo redis)

# ---------------------------------------------------------------- external components

# A variable pointing at the local instance's own address (e.g. after `source <(infra.sh env)`)
# does not make the component external: only another address does.
is_external() {
  case "$1" in
    kafka) [[ -n "${KAFKA_BROKERS:-}" && "$KAFKA_BROKERS" != "$LOCAL_KAFKA_BROKERS" && "$KAFKA_BROKERS" != "localhost:$KAFKA_PORT" ]] ;;
    mongo) [[ -n "${MONGODB_URI:-}" && ! "$MONGODB_URI" =~ ^mongodb://(127\.0\.0\.1|localhost):$MONGO_PORT(/|$) ]] ;;
    redis) [[ -n "${REDIS_URL:-}" && ! "$REDIS_URL" =~ ^redis://(127\.0\.0\.1|localhost):$REDIS_PORT(/|$) ]] ;;
  esac
}

external_value() {
  case "$1" in
    kafka) printf '%s' "$KAFKA_BROKERS" ;;
    mongo) printf '%s' "$MONGODB_URI" ;;
    redis) printf '%s' "$REDIS_URL" ;;
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

mongo_install() { with_lock "$CARELOOP_CACHE/.ferretdb-build.lock" ferretdb_build; }

mongo_pid() {
  local pid
  pid="$(read_pid "$MONGO_DIR/ferretdb.pid")"
  if [[ -n "$pid" ]] && pid_matches "$pid" "-sqlite-dir $FERRETDB_SQLITE_DIR "; then
    printf '%s\n' "$pid"
  fi
}

# Sends a real MongoDB command, OP_MSG {ping: 1, $db: "admin"}, and checks for {ok: 1}.
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
  pid="$(mongo_pid)"
  if [[ -n "$pid" ]]; then
    log "FerretDB already running (pid $pid) on 127.0.0.1:$MONGO_PORT"
    return 0
  fi
  port_open 127.0.0.1 "$MONGO_PORT" &&
    die "port $MONGO_PORT on 127.0.0.1 is already in use by another process; set CARELOOP_MONGO_PORT or MONGODB_URI"
  bin="$(ferretdb_bin)"
  [[ -x "$bin" ]] || die "FerretDB binary $bin missing (install step failed?)"
  mkdir -p "$FERRETDB_SQLITE_DIR"
  printf '\n=== %s starting FerretDB %s on 127.0.0.1:%s ===\n' "$(date -Is)" "$FERRETDB_VERSION" "$MONGO_PORT" >>"$MONGO_DIR/ferretdb.log"
  # -log-level comes last so that the "-sqlite-dir DIR " pattern in mongo_pid matches.
  setsid "$bin" -listen-addr "127.0.0.1:$MONGO_PORT" -sqlite-dir "$FERRETDB_SQLITE_DIR" -log-level "$MONGO_LOG_LEVEL" \
    </dev/null >>"$MONGO_DIR/ferretdb.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$MONGO_DIR/ferretdb.pid"
  log "FerretDB $FERRETDB_VERSION starting (pid $pid) on 127.0.0.1:$MONGO_PORT, SQLite files in $FERRETDB_SQLITE_DIR"
}

mongo_wait() {
  local i pid
  for ((i = 0; i < START_TIMEOUT * 5; i++)); do
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

mongo_stop() {
  local pid
  pid="$(mongo_pid)"
  if [[ -z "$pid" ]]; then
    log "FerretDB is not running"
  else
    stop_pid "$pid" "FerretDB (127.0.0.1:$MONGO_PORT)" 15
  fi
  rm -f "$MONGO_DIR/ferretdb.pid"
}

mongo_status() {
  local pid
  pid="$(mongo_pid)"
  if [[ -n "$pid" ]]; then
    printf '%-6s running   pid=%s  addr=127.0.0.1:%s  rss=%s  FerretDB %s (SQLite)  data=%s\n' \
      mongo "$pid" "$MONGO_PORT" "$(rss_of "$pid")" "$FERRETDB_VERSION" "$FERRETDB_SQLITE_DIR"
  else
    printf '%-6s stopped   (FerretDB, 127.0.0.1:%s)\n' mongo "$MONGO_PORT"
    return 1
  fi
}

mongo_logs() { printf '%s\n' "$MONGO_DIR/ferretdb.log"; }

# ---------------------------------------------------------------- Redis

redis_install() {
  command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1 && return 0
  command -v apt-get >/dev/null 2>&1 ||
    die "redis-server not found and apt-get is unavailable: install Redis yourself or set REDIS_URL"
  local -a sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      die "redis-server not found; install it (sudo apt-get install -y redis-server) or set REDIS_URL"
    fi
  fi
  log "installing redis-server with apt-get (first run only)"
  local -a install=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 redis-server)
  if ! "${install[@]}" >&2; then
    log "apt-get install failed; running apt-get update and retrying"
    "${sudo[@]}" apt-get update -q >&2 || true
    "${install[@]}" >&2 || die "apt-get install redis-server failed (see output above)"
  fi
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
  mkdir -p "$KAFKA_DIR" "$MONGO_DIR" "$REDIS_DIR"
  # Installs run one after the other (the Go build alone takes both cores).
  for c in "${comps[@]}"; do "${c}_install"; done
  # Kafka takes longest to boot: launch it first, start the others, then wait for all.
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
      kafka | mongo | redis) comps+=("$c") ;;
      *) die "unknown component: $c (kafka|mongo|redis)" ;;
    esac
  done
  [[ ${#comps[@]} -gt 0 ]] || comps=("${COMPONENTS[@]}")
  for c in "${comps[@]}"; do
    if is_external "$c"; then
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

#!/usr/bin/env bash
# Build (once, from Maven Central) and run the local FHIR R4 server: HAPI FHIR's JPA server
# libraries on an embedded H2 database, wired by the small Spring + Jetty program beside this
# script (pom.xml, src/).
#
#   fhir.sh install                          build pom.xml + src/ into the cache unless built already
#   fhir.sh start  --data-dir DIR --port P [--no-wait] [--timeout S]
#   fhir.sh wait   --data-dir DIR [--timeout S]
#   fhir.sh stop   --data-dir DIR [--timeout S]
#   fhir.sh status --data-dir DIR            (exit 0 only if running)
#
# The build lives in $CARELOOP_CACHE/fhir/build-<hash of pom.xml and src/>: changing
# the sources makes the next install rebuild, and `start` restarts a server that runs an older
# build. The build also records a class-data-sharing archive (app.jsa) in a training start, which
# cuts the CPU time of later starts by about a fifth. Files in DIR: h2/ (the database), fhir.log
# (JVM output), fhir.pid, fhir.port.
set -euo pipefail

# shellcheck source=../lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

FHIR_SRC="$CARELOOP_LOCAL_DIR/fhir"
HAPI_VERSION="$(sed -n 's:.*<hapi.version>\(.*\)</hapi.version>.*:\1:p' "$FHIR_SRC/pom.xml")"
[[ -n "$HAPI_VERSION" ]] || die "cannot read hapi.version from $FHIR_SRC/pom.xml"
FHIR_CACHE="$CARELOOP_CACHE/fhir"
# C1 only and a small initial heap: a test server that starts fast and stays small beats one
# that peaks higher after minutes of JIT work. Serial GC: two cores, one modest heap.
FHIR_JAVA_OPTS="${CARELOOP_FHIR_JAVA_OPTS:--Xms64m -Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k}"
FHIR_START_TIMEOUT="${CARELOOP_FHIR_START_TIMEOUT:-240}"
READY_PATTERN='FHIR R4 server ready at'

java_bin() {
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
    printf '%s\n' "$JAVA_HOME/bin/java"
  else
    command -v java || die "java not found (Java 17+ is required for HAPI FHIR $HAPI_VERSION)"
  fi
}

# What a build directory holds; bump it when do_install lays the build out differently, so that an
# older build is never started with a newer start command.
BUILD_LAYOUT=2

# Hash of every build input (paths and contents) and the layout, so any edit under fhir/ rebuilds.
src_sum() {
  {
    printf 'layout %s\n' "$BUILD_LAYOUT"
    (cd "$FHIR_SRC" && find pom.xml src -type f -print0 | sort -z | xargs -0 sha256sum)
  } | sha256sum | cut -c1-16
}

build_dir() { printf '%s/build-%s\n' "$FHIR_CACHE" "$(src_sum)"; }

installed() {
  local d
  d="$(build_dir)"
  [[ -f "$d/.complete" && -f "$d/careloop-fhir.jar" && -d "$d/lib" ]]
}

# Deletes older builds that no running process has on its class path.
prune_builds() {
  local keep="$1" d
  for d in "$FHIR_CACHE"/build-*; do
    [[ -d "$d" && "$d" != "$keep" ]] || continue
    if grep -qsF -- "$d/" /proc/[0-9]*/cmdline 2>/dev/null; then continue; fi
    rm -rf "$d"
  done
}

do_install() {
  installed && return 0
  command -v mvn >/dev/null 2>&1 || die "mvn not found: Maven is needed to build the FHIR server (apt-get install maven)"
  local dest work start=$SECONDS
  dest="$(build_dir)"
  log "building the FHIR server (HAPI FHIR $HAPI_VERSION JPA) into $dest (first run, or fhir/ changed)"
  mkdir -p "$FHIR_CACHE"
  work="$(mktemp -d "$FHIR_CACHE/.build.XXXXXX")"
  # Build a copy so that nothing (target/) is written into the repo.
  cp -r "$FHIR_SRC/pom.xml" "$FHIR_SRC/src" "$work/"
  # Maven 3.8 prints stray colour-reset codes even with -q -B: strip them (pipefail keeps mvn's status).
  if ! (cd "$work" && mvn -q -B -ntp -Dstyle.color=never compile jar:jar dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/target/lib" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2); then
    rm -rf "$work"
    die "building the FHIR server failed (see Maven's output above; Maven Central must be reachable)"
  fi
  [[ -f "$work/target/careloop-fhir.jar" ]] || { rm -rf "$work"; die "careloop-fhir.jar missing after the Maven build"; }
  ls "$work/target/lib"/hapi-fhir-jpaserver-base-*.jar >/dev/null 2>&1 || { rm -rf "$work"; die "HAPI FHIR jars missing after the Maven build"; }
  rm -rf "$dest"
  mkdir -p "$dest"
  mv "$work/target/careloop-fhir.jar" "$dest/careloop-fhir.jar"
  mv "$work/target/lib" "$dest/lib"
  train_cds "$dest" "$work"
  rm -rf "$work"
  printf '%s\n' "$HAPI_VERSION" >"$dest/.complete"
  prune_builds "$dest"
  log "FHIR server built in $((SECONDS - start))s ($(find "$dest/lib" -name '*.jar' | wc -l) jars, $(du -sm "$dest" | cut -f1) MB)"
}

# The class path, identical for the training run and every start (the archive records it).
class_path() { printf '%s\n' "$1/careloop-fhir.jar:$1/lib/*"; }

# train_cds BUILD WORK: start the server once on a throw-away database and any free port, exit,
# and let the JVM write the classes it loaded to BUILD/app.jsa (-XX:ArchiveClassesAtExit; class
# data sharing needs the classes in jars, hence careloop-fhir.jar). Optional: without the archive
# the server starts as well, only slower.
train_cds() {
  local dest="$1" work="$2" java start=$SECONDS
  java="$(java_bin)"
  log "recording the class-data-sharing archive for faster starts (a training start, once per build)"
  # shellcheck disable=SC2086 # FHIR_JAVA_OPTS is a list of options
  if timeout 600 "$java" $FHIR_JAVA_OPTS -XX:ArchiveClassesAtExit="$dest/app.jsa.tmp" -Djava.awt.headless=true \
    "-Dcareloop.fhir.dataDir=$work/train" -Dcareloop.fhir.port=0 -Dcareloop.fhir.host=127.0.0.1 \
    -Dcareloop.fhir.exitAfterStart=true -cp "$(class_path "$dest")" careloop.fhir.FhirServerMain \
    </dev/null >"$work/train.log" 2>&1 9>&- && [[ -s "$dest/app.jsa.tmp" ]]; then
    mv "$dest/app.jsa.tmp" "$dest/app.jsa"
    log "class-data-sharing archive written in $((SECONDS - start))s ($(du -sm "$dest/app.jsa" | cut -f1) MB)"
  else
    rm -f "$dest/app.jsa.tmp"
    tail_file "$work/train.log" 20
    warn "the training start failed (log above): the FHIR server will start without a class-data-sharing archive"
  fi
}

cmd_install() {
  with_lock "$CARELOOP_CACHE/.fhir-install.lock" do_install
}

DATA_DIR="" PORT="" NO_WAIT=0 TIMEOUT=""
parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --data-dir) DATA_DIR="$(abspath "${2:?--data-dir needs a value}")"; shift 2 ;;
      --port) PORT="${2:?--port needs a value}"; shift 2 ;;
      --no-wait) NO_WAIT=1; shift ;;
      --timeout) TIMEOUT="${2:?--timeout needs a value}"; shift 2 ;;
      *) die "unknown argument: $1" ;;
    esac
  done
  [[ -n "$DATA_DIR" ]] || die "--data-dir is required"
}

fhir_pid() {
  local pid
  pid="$(read_pid "$DATA_DIR/fhir.pid")"
  # The data dir is on the java command line, so this also rejects a reused pid.
  if [[ -n "$pid" ]] && pid_matches "$pid" "-Dcareloop.fhir.dataDir=$DATA_DIR "; then
    printf '%s\n' "$pid"
  fi
}

stored_port() { cat "$DATA_DIR/fhir.port" 2>/dev/null || true; }
base_url() { printf 'http://127.0.0.1:%s/fhir\n' "${1:-$(stored_port)}"; }

# Byte length of fhir.log, so that only the ready line of this start is matched.
log_size() { stat -c %s "$DATA_DIR/fhir.log" 2>/dev/null || echo 0; }

cmd_start() {
  parse_args "$@"
  [[ -n "$PORT" ]] || die "--port is required"
  [[ "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number, not '$PORT'"

  local pid build
  cmd_install
  build="$(build_dir)"
  pid="$(fhir_pid)"
  if [[ -n "$pid" ]] && ! pid_matches "$pid" "$build/"; then
    log "the FHIR server (pid $pid) runs an older build than fhir/ now holds: restarting it"
    stop_pid "$pid" "FHIR server (127.0.0.1:$(stored_port))" "${TIMEOUT:-30}"
    pid=""
  fi
  # A build that the server ran until now could not be deleted when this one was made.
  prune_builds "$build"
  if [[ -n "$pid" ]]; then
    if [[ "$(stored_port)" != "$PORT" ]]; then
      die "the FHIR server in $DATA_DIR already runs (pid $pid) on port $(stored_port), not $PORT; stop it first"
    fi
    log "FHIR server already running (pid $pid) at $(base_url)"
    [[ "$NO_WAIT" == 1 ]] || cmd_wait_inner
    return 0
  fi
  port_open 127.0.0.1 "$PORT" &&
    die "port $PORT on 127.0.0.1 is already in use by another process; set CARELOOP_FHIR_PORT (infra.sh) or FHIR_BASE_URL for a server of your own"

  mkdir -p "$DATA_DIR"
  printf '%s\n' "$PORT" >"$DATA_DIR/fhir.port"
  log_size >"$DATA_DIR/.log-offset"
  printf '\n=== %s starting FHIR server (HAPI FHIR %s) at %s ===\n' "$(date -Is)" "$HAPI_VERSION" "$(base_url "$PORT")" >>"$DATA_DIR/fhir.log"
  local java
  local -a cds=()
  java="$(java_bin)"
  # -Xshare:auto: an archive that does not fit (another JDK, other JVM options) is ignored.
  [[ ! -f "$build/app.jsa" ]] || cds=("-XX:SharedArchiveFile=$build/app.jsa" -Xshare:auto)
  # shellcheck disable=SC2086 # FHIR_JAVA_OPTS is a list of options
  setsid "$java" $FHIR_JAVA_OPTS "${cds[@]}" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "-Dcareloop.fhir.dataDir=$DATA_DIR" "-Dcareloop.fhir.port=$PORT" -Dcareloop.fhir.host=127.0.0.1 \
    -cp "$(class_path "$build")" careloop.fhir.FhirServerMain \
    </dev/null >>"$DATA_DIR/fhir.log" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$DATA_DIR/fhir.pid"
  log "FHIR server (HAPI FHIR $HAPI_VERSION) starting (pid $pid) at $(base_url "$PORT"), data $DATA_DIR"
  [[ "$NO_WAIT" == 1 ]] || cmd_wait_inner
}

# Ready = the process is alive, fhir.log has the ready line of this start (written once the
# validator is loaded and Jetty listens) and GET /fhir/metadata answers 200.
metadata_ok() {
  local port="$1"
  if command -v curl >/dev/null 2>&1; then
    [[ "$(curl -s -o /dev/null -m 10 -w '%{http_code}' "$(base_url "$port")/metadata" 2>/dev/null)" == 200 ]]
  else
    port_open 127.0.0.1 "$port"
  fi
}

cmd_wait_inner() {
  local timeout="${TIMEOUT:-$FHIR_START_TIMEOUT}" port offset pid start=$SECONDS
  port="$(stored_port)"
  offset="$(cat "$DATA_DIR/.log-offset" 2>/dev/null || echo 0)"
  while ((SECONDS - start < timeout)); do
    pid="$(read_pid "$DATA_DIR/fhir.pid")"
    if ! pid_alive "$pid"; then
      tail_file "$DATA_DIR/fhir.log" 40
      die "the FHIR server in $DATA_DIR is not running (it exited during start?); see $DATA_DIR/fhir.log"
    fi
    if tail -c +"$((offset + 1))" "$DATA_DIR/fhir.log" 2>/dev/null | grep -q "$READY_PATTERN" && metadata_ok "$port"; then
      log "FHIR server ready at $(base_url "$port") (pid $pid, answered /metadata)"
      return 0
    fi
    sleep 0.5
  done
  tail_file "$DATA_DIR/fhir.log" 40
  die "the FHIR server did not become ready within ${timeout}s (still running as pid $pid; stop it with: $0 stop --data-dir $DATA_DIR); see $DATA_DIR/fhir.log"
}

cmd_wait() {
  parse_args "$@"
  cmd_wait_inner
}

cmd_stop() {
  parse_args "$@"
  local pid
  pid="$(fhir_pid)"
  if [[ -z "$pid" ]]; then
    log "the FHIR server in $DATA_DIR is not running"
  else
    stop_pid "$pid" "FHIR server ($(base_url))" "${TIMEOUT:-30}"
  fi
  rm -f "$DATA_DIR/fhir.pid"
}

cmd_status() {
  parse_args "$@"
  local pid
  pid="$(fhir_pid)"
  if [[ -n "$pid" ]]; then
    printf '%-6s running   pid=%s  addr=%s  rss=%s  HAPI FHIR %s (JPA, R4, H2)  data=%s\n' fhir "$pid" "$(base_url)" "$(rss_of "$pid")" "$HAPI_VERSION" "$DATA_DIR"
  else
    printf '%-6s stopped   (data=%s)\n' fhir "$DATA_DIR"
    return 1
  fi
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
    install) cmd_install ;;
    start) cmd_start "$@" ;;
    wait) cmd_wait "$@" ;;
    stop) cmd_stop "$@" ;;
    status) cmd_status "$@" ;;
    -h | --help | help) usage 0 ;;
    *) die "unknown command: $cmd (install|start|wait|stop|status)" ;;
  esac
}

main "$@"

# shellcheck shell=bash
# Shared helpers for deploy/local/*.sh. Sourced, not executed.
# Callers set `set -euo pipefail` themselves.

CARELOOP_LOCAL_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CARELOOP_REPO_ROOT="$(cd "$CARELOOP_LOCAL_DIR/../.." && pwd)"
CARELOOP_CACHE="${CARELOOP_CACHE:-${HOME:-/root}/.cache/careloop}"
CARELOOP_DATA="${CARELOOP_DATA:-$CARELOOP_REPO_ROOT/.local/infra}"

log() { printf '[careloop-infra] %s\n' "$*" >&2; }
warn() { printf '[careloop-infra] WARNING: %s\n' "$*" >&2; }
die() { printf '[careloop-infra] ERROR: %s\n' "$*" >&2; exit 1; }

# Make an absolute path out of $1 (the path need not exist yet).
abspath() {
  case "$1" in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$PWD" "$1" ;;
  esac
}

# port_open HOST PORT: true if something accepts TCP connections there.
port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pid_alive PID: true if the process exists (and is not a zombie).
pid_alive() {
  local pid="$1" state
  [[ -n "$pid" && "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" ]]
}

# pid_matches PID PATTERN: the process is alive and its command line contains PATTERN
# (guards against a stale pid file whose pid was reused by another process).
pid_matches() {
  local pid="$1" pattern="$2" cmdline
  pid_alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$pattern"* ]]
}

# read_pid FILE: print the pid stored in FILE (empty if none).
read_pid() {
  [[ -f "$1" ]] && tr -dc '0-9' <"$1" || true
}

# stop_pid PID NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL.
stop_pid() {
  local pid="$1" name="$2" timeout="${3:-30}" i
  pid_alive "$pid" || return 0
  log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < timeout * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  warn "$name (pid $pid) did not stop within ${timeout}s, killing it"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  die "could not kill $name (pid $pid)"
}

# rss_of PID: resident memory of the process, e.g. "412 MiB" (empty if unknown).
rss_of() {
  local kb
  kb="$(awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)"
  [[ -n "$kb" ]] && printf '%d MiB' $((kb / 1024))
}

# with_lock FILE CMD...: run CMD while holding an exclusive flock on FILE, so that two
# concurrent `up`s (parallel CI jobs, two terminals) do not install or start twice.
with_lock() {
  local lockfile="$1"
  shift
  mkdir -p "$(dirname "$lockfile")"
  if command -v flock >/dev/null 2>&1; then
    (
      flock -w 900 9 || die "timed out waiting for lock $lockfile"
      "$@"
    ) 9>"$lockfile"
  else
    "$@"
  fi
}

# tail_file FILE [N]: print the last N lines of FILE to stderr, indented.
tail_file() {
  [[ -f "$1" ]] || return 0
  printf '  --- last %s lines of %s ---\n' "${2:-20}" "$1" >&2
  tail -n "${2:-20}" "$1" | sed 's/^/  | /' >&2
}

#!/usr/bin/env bash
# Makes sure Debian's chromium is installed for the dashboard's browser test (idempotent, cached:
# a second run returns at once). Prints the browser's path. Fails with a clear message if it
# cannot be installed (no apt-get, no rights, no network).
set -euo pipefail
BROWSER="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$BROWSER" ]]; then
  printf '%s\n' "$BROWSER"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is not installed at $BROWSER and apt-get is not available: install Debian's chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
SUDO=""
if [[ "$(id -u)" != 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "installing chromium needs root (or sudo)" >&2; exit 1; }
  SUDO="sudo -n"
fi
# One install at a time on a shared machine.
exec 9>/tmp/careloop-chromium-install.lock
flock 9
if [[ ! -x "$BROWSER" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq >&2 || true
  $SUDO apt-get install -y -qq --no-install-recommends chromium >&2 || { echo "apt-get install chromium failed" >&2; exit 1; }
fi
[[ -x "$BROWSER" ]] || { echo "chromium still missing at $BROWSER after install" >&2; exit 1; }
printf '%s\n' "$BROWSER"

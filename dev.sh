#!/usr/bin/env bash
# crossgate developer entry point.
#   ./dev.sh run    set up (first time) and run the server with the shipped content on 127.0.0.1:8000
#   ./dev.sh test   set up (first time) and run the whole test suite
# Set-up: a virtualenv in .venv with the package and its test extras; for tests also Debian's
# chromium (browser tests), PostgreSQL 15 (ledger tests) and LibreOffice Calc (the exported
# workbooks must open in it) and npm (the SARIF schema the reports are checked against), installed
# when missing.
set -euo pipefail
cd "$(dirname "$0")"

PY=${PYTHON:-python3}

venv() {
  if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
  fi
  # Re-install only when the project metadata changed since the last install.
  local stamp=.venv/.crossgate-installed extras=$1
  # The test install is a superset of the plain one: `run` after `test` installs nothing.
  if [ -f "$stamp" ] && [ ! pyproject.toml -nt "$stamp" ] && [ -z "$extras" ]; then
    return 0
  fi
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ "$(cat "$stamp")" != "$extras" ]; then
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".$extras"
    echo "$extras" > "$stamp"
  fi
}

system_packages() {
  local need=()
  [ -x /usr/bin/chromium ] || need+=(chromium)
  [ -x /usr/lib/postgresql/15/bin/initdb ] || command -v initdb >/dev/null || need+=(postgresql)
  command -v libreoffice >/dev/null || need+=(libreoffice-calc-nogui)
  command -v npm >/dev/null || need+=(npm)  # fetches the official SARIF schema once (tests/schemas.py)
  [ ${#need[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${need[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "warning: cannot install ${need[*]} (no apt-get); those tests will be skipped" >&2
  fi
}

case "${1:-}" in
  run)
    shift
    venv ""
    exec .venv/bin/crossgate serve "$@"
    ;;
  test)
    shift
    system_packages
    venv "[test]"
    exec .venv/bin/python -m pytest -q "$@"
    ;;
  *)
    sed -n '2,6p' "$0"
    exit 2
    ;;
esac

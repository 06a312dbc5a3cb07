# shellcheck shell=bash
# A Python virtual environment for the tests that drive the server with real
# third-party clients (the official MCP Python SDK) and tools (schemathesis,
# which fuzzes the API from its OpenAPI document). Source it after common.sh:
#
#   source scripts/lib/common.sh
#   source scripts/lib/python-venv.sh
#   ensure_test_venv          # exports TODO_TEST_PYTHON
#
# The venv lives outside the work tree, at
# ${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/test-venv-<hash of the pins>, and is
# reused while its pinned requirements are unchanged: a second call does no
# network work. The hash in the name keeps work trees (or branches) with
# different pins from rebuilding one shared venv under each other's feet.

# Pinned versions of what the tests import. Changing this list rebuilds the venv.
# hypothesis is pinned with schemathesis: it generates the data, so the same
# version makes scripts/test-fuzz.sh send the same requests on every machine.
# ruff lints and formats the repository's Python (scripts/lint.sh); pytest runs
# the Python helpers' own tests (scripts/lib/test_*.py), which read YAML.
# icalendar and recurring-ical-events parse and expand the calendar feed in
# crates/todo-api/tests/api/calendar.rs (a real iCalendar reader, RRULEs too).
TEST_VENV_REQUIREMENTS=(
  "mcp==2.3.0"
  "schemathesis==4.32.5"
  "hypothesis==6.170.17"
  "ruff==0.17.6"
  "pytest==9.2.0"
  "PyYAML==6.0.4"
  "icalendar==7.3.0"
  "recurring-ical-events==3.8.2"
)

# What must import for the venv to count as built.
_TEST_VENV_CHECK='import mcp.client.streamable_http, schemathesis, ruff, pytest, yaml, icalendar, recurring_ical_events'


ensure_test_venv() {
  local wanted venv stamp
  wanted="$(printf '%s\n' "${TEST_VENV_REQUIREMENTS[@]}")"
  venv="${XDG_CACHE_HOME:-$HOME/.cache}/todo-app/test-venv-$(sha256sum <<<"$wanted" | cut -c1-12)"
  stamp="$venv/.todo-app-requirements"

  if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] \
    && "$venv/bin/python" -c "$_TEST_VENV_CHECK" >/dev/null 2>&1; then
    export TODO_TEST_PYTHON="$venv/bin/python"
    return 0
  fi

  ensure_cmds "python3:python3"
  # Debian ships venv (and the ensurepip it needs) separately from python3.
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    local ver
    ver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
    [[ $(id -u) == 0 ]] || die "python3 has no venv module: install python3-venv (needs root)"
    log "installing python3-venv from apt"
    if [[ -z "${_APT_UPDATED:-}" ]]; then
      apt-get update -qq || die "apt-get update failed"
      _APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >/dev/null 2>&1 \
      || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "python${ver}-venv" >/dev/null \
      || die "apt-get install python3-venv failed"
  fi

  log "creating the test Python venv at $venv (${TEST_VENV_REQUIREMENTS[*]})"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" || die "python3 -m venv $venv failed"
  PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install -q "${TEST_VENV_REQUIREMENTS[@]}" \
    || die "pip install ${TEST_VENV_REQUIREMENTS[*]} failed"
  "$venv/bin/python" -c "$_TEST_VENV_CHECK" || die "the test venv cannot import its packages (${TEST_VENV_REQUIREMENTS[*]})"
  printf '%s\n' "$wanted" >"$stamp"
  export TODO_TEST_PYTHON="$venv/bin/python"
}

#!/usr/bin/env bash
# Creates (or reuses) the project's Python venv at .venv and installs the given requirement
# files into it. Prints the venv's python path. Never touches the system Python.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${WEIR_VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q --upgrade pip >&2
fi
for req in "$@"; do
  stamp="$venv/.installed-$(basename "$req")-$(sha256sum "$req" | cut -c1-16)"
  if [ ! -f "$stamp" ]; then
    "$venv/bin/pip" install -q -r "$req" >&2
    touch "$stamp"
  fi
done
echo "$venv/bin/python"

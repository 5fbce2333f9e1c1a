#!/usr/bin/env bash
# Renders a run report with headless Chromium (Debian's `chromium`, installed if missing) to
# a PNG, to look at it as a browser shows it.
#   scripts/report-screenshot.sh REPORT.html OUT.png [WIDTH HEIGHT]
set -euo pipefail
report="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
out="$2"; width="${3:-1200}"; height="${4:-3000}"
if ! command -v chromium >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
fi
# No network: the report must not need any (it has no external references).
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --proxy-server=127.0.0.1:9 \
  --window-size="$width,$height" --screenshot="$out" "file://$report" 2>/dev/null
echo "$out"

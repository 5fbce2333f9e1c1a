#!/usr/bin/env bash
# Makes sure DuckDB's C library is built on this machine and prints its prefix (lib/, include/).
# Debian has no libduckdb and PyPI ships no C library, so this builds the one from DuckDB's
# source distribution on PyPI, once per machine, into a cache outside the repository keyed by
# version: ~/.cache/weir/duckdb-VERSION (WEIR_DUCKDB overrides). About 21 minutes on 2 cores the
# first time; instant after. Needs cmake, ninja and a C++ compiler (installed with apt if root).
set -euo pipefail
version=1.5.6
# The extensions DuckDB's Python package builds in: JSON functions and time zones (ICU) work.
extensions="core_functions;json;parquet;icu"
build="duckdb $version extensions=$extensions"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/weir"
prefix="${WEIR_DUCKDB:-$cache/duckdb-$version}"
if [ -f "$prefix/lib/libduckdb.so" ] && [ -f "$prefix/include/duckdb.h" ] && [ "$(cat "$prefix/BUILD" 2>/dev/null)" = "$build" ]; then
  echo "$prefix"
  exit 0
fi
need=()
command -v cmake >/dev/null || need+=(cmake)
command -v ninja >/dev/null || need+=(ninja-build)
command -v c++ >/dev/null || need+=(g++)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "duckdb.sh: install ${need[*]} first" >&2; exit 1; fi
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
src="$cache/duckdb-src"
mkdir -p "$src"
sdist="$src/duckdb-$version.tar.gz"
if [ ! -f "$sdist" ]; then
  # Only the sdist is fetched (no wheel, no dependencies) with a throwaway pip.
  [ -x "$src/pip/bin/pip" ] || python3 -m venv "$src/pip" >&2
  "$src/pip/bin/pip" download -q --no-deps --no-binary duckdb "duckdb==$version" -d "$src" >&2
fi
tree="$src/duckdb-$version/external/duckdb"
[ -d "$tree" ] || tar -xzf "$sdist" -C "$src"
echo "duckdb.sh: building DuckDB $version (once per machine; about 21 minutes on 2 cores)" >&2
mkdir -p "$tree/build"
(
  cd "$tree/build"
  cmake -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHELL=FALSE -DBUILD_UNITTESTS=FALSE \
    -DENABLE_SANITIZER=FALSE -DENABLE_UBSAN=FALSE "-DBUILD_EXTENSIONS=$extensions" .. >&2
  ninja -j"$(nproc)" duckdb >&2
)
staging="$prefix.partial"
rm -rf "$staging"
mkdir -p "$staging/lib" "$staging/include"
cp "$tree/build/src/libduckdb.so" "$staging/lib/"
cp "$tree/src/include/duckdb.h" "$staging/include/"
echo "$build" > "$staging/BUILD"
rm -rf "$prefix"
mv "$staging" "$prefix"
echo "$prefix"

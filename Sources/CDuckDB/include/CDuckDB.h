// DuckDB's C API. The header and library are built once per machine by scripts/duckdb.sh into
// ~/.cache/weir/duckdb-VERSION; Package.swift puts that folder on the header path. The library
// is not linked: loader.c opens it on first use (see weir_duckdb_load).
#if __has_include(<duckdb.h>)
#include <duckdb.h>
#else
#error "DuckDB is not built on this machine: run scripts/duckdb.sh (once; about 21 minutes)"
#endif
#include <stddef.h>

/// Loads libduckdb.so ($WEIR_DUCKDB_LIBRARY, else the one this build was made against).
/// Returns 0, or -1 with the reason in `error`.
int weir_duckdb_load(char *error, size_t capacity);

// DuckDB's C API. The header and library are built once per machine by scripts/duckdb.sh into
// ~/.cache/weir/duckdb-VERSION; Package.swift puts that folder on the search paths.
#if __has_include(<duckdb.h>)
#include <duckdb.h>
#else
#error "DuckDB is not built on this machine: run scripts/duckdb.sh (once; about 21 minutes)"
#endif

#include "include/CDuckDB.h"

/// The address of DuckDB function `name`, cached in `*slot`; loads the library if need be.
/// A missing function means the library is not the version the header came from: that ends
/// the process with a message (calls only come after weir_duckdb_load succeeded).
void *weir_duckdb_resolve(void **slot, const char *name);

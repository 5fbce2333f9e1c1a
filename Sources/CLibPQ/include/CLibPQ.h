// libpq, PostgreSQL's C client, opened with dlopen when a postgres stage first needs it: weir
// starts without it and runs where it is not installed (a postgres stage then says so).
#include <libpq-fe.h>

/// 0 when libpq could be loaded; otherwise -1 with the reason in `error`.
int weir_libpq_load(char *error, size_t capacity);

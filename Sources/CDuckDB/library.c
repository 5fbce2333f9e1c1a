#include "loader.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *library;
static char failure[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

/// A packaged weir carries the library beside it: <prefix>/bin/weir, <prefix>/lib/weir/libduckdb.so.
static int packaged_library(char *path, size_t capacity) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash == NULL) return 0;
    *slash = '\0';
    snprintf(path, capacity, "%s/../lib/weir/libduckdb.so", exe);
    return access(path, R_OK) == 0;
}

static void open_library(void) {
    static char beside[4200];
    const char *path = getenv("WEIR_DUCKDB_LIBRARY");
    if ((path == NULL || path[0] == '\0') && packaged_library(beside, sizeof beside)) path = beside;
    if (path == NULL || path[0] == '\0') path = WEIR_DUCKDB_LIBRARY;
    // RTLD_LOCAL: DuckDB's symbols do not join the global scope, nor ours DuckDB's.
    library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(failure, sizeof failure, "cannot load DuckDB (%s): %s; build it with scripts/duckdb.sh", path,
                 reason ? reason : "unknown error");
    }
}

int weir_duckdb_load(char *error, size_t capacity) {
    pthread_once(&once, open_library);
    if (library != NULL) return 0;
    if (capacity > 0) snprintf(error, capacity, "%s", failure);
    return -1;
}

void *weir_duckdb_resolve(void **slot, const char *name) {
    void *found = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (found != NULL) return found;
    pthread_once(&once, open_library);
    if (library == NULL) {
        fprintf(stderr, "weir: %s\n", failure);
        abort();
    }
    found = dlsym(library, name);
    if (found == NULL) {
        fprintf(stderr, "weir: the DuckDB library has no %s: it is not the version Weir was built with; run scripts/duckdb.sh\n", name);
        abort();
    }
    __atomic_store_n(slot, found, __ATOMIC_RELEASE);
    return found;
}

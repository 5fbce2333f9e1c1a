// Each libcurl function Weir calls, resolved from libcurl.so.4 on first use. curl_easy_setopt is
// variadic: the typed wrappers here are the only callers, so Swift never passes a C vararg.
#include "include/CCurl.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *library;
static char failure[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void *symbol(const char *name) { return library ? dlsym(library, name) : NULL; }

static void *(*easy_init)(void);
static void (*easy_cleanup)(void *);
static void (*easy_reset)(void *);
static int (*easy_setopt)(void *, int, ...);
static int (*easy_perform)(void *);
static int (*easy_getinfo)(void *, int, ...);
static const char *(*easy_strerror)(int);
static void *(*slist_append)(void *, const char *);
static void (*slist_free_all)(void *);

static void open_library(void) {
    const char *path = getenv("WEIR_LIBCURL");
    if (path == NULL || path[0] == '\0') path = "libcurl.so.4";
    library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(failure, sizeof failure,
                 "cannot load libcurl, the HTTP client library (%s): %s; install it (Debian: apt-get install libcurl4)",
                 path, reason ? reason : "unknown error");
        return;
    }
    int (*global_init)(long) = (int (*)(long))symbol("curl_global_init");
    easy_init = (void *(*)(void))symbol("curl_easy_init");
    easy_cleanup = (void (*)(void *))symbol("curl_easy_cleanup");
    easy_reset = (void (*)(void *))symbol("curl_easy_reset");
    easy_setopt = (int (*)(void *, int, ...))symbol("curl_easy_setopt");
    easy_perform = (int (*)(void *))symbol("curl_easy_perform");
    easy_getinfo = (int (*)(void *, int, ...))symbol("curl_easy_getinfo");
    easy_strerror = (const char *(*)(int))symbol("curl_easy_strerror");
    slist_append = (void *(*)(void *, const char *))symbol("curl_slist_append");
    slist_free_all = (void (*)(void *))symbol("curl_slist_free_all");
    if (!global_init || !easy_init || !easy_cleanup || !easy_reset || !easy_setopt || !easy_perform || !easy_getinfo ||
        !easy_strerror || !slist_append || !slist_free_all) {
        snprintf(failure, sizeof failure, "%s lacks a function Weir needs: it is not libcurl 7.85 or later", path);
        library = NULL;
        return;
    }
    // CURL_GLOBAL_DEFAULT (SSL | WIN32); done once, before any thread makes a handle.
    if (global_init(3) != 0) {
        snprintf(failure, sizeof failure, "libcurl (%s) failed to initialise", path);
        library = NULL;
    }
}

int weir_curl_load(char *error, size_t capacity) {
    pthread_once(&once, open_library);
    if (library != NULL) return 0;
    if (capacity > 0) snprintf(error, capacity, "%s", failure);
    return -1;
}

// Every function below is called only after weir_curl_load returned 0 (CurlEasy checks it).
WeirCurl *weir_curl_easy_init(void) { return easy_init(); }
void weir_curl_easy_cleanup(WeirCurl *handle) { easy_cleanup(handle); }
void weir_curl_easy_reset(WeirCurl *handle) { easy_reset(handle); }
int weir_curl_setopt_long(WeirCurl *handle, int option, long value) { return easy_setopt(handle, option, value); }
int weir_curl_setopt_pointer(WeirCurl *handle, int option, const void *value) {
    return easy_setopt(handle, option, value);
}
int weir_curl_setopt_offset(WeirCurl *handle, int option, long long value) {
    return easy_setopt(handle, option, (long long)value);
}

int weir_curl_set_receivers(WeirCurl *handle, WeirCurlCallback body, WeirCurlCallback header, void *context) {
    // CURLOPT_WRITEFUNCTION, CURLOPT_WRITEDATA, CURLOPT_HEADERFUNCTION, CURLOPT_HEADERDATA
    int code = easy_setopt(handle, 20011, body);
    if (code == 0) code = easy_setopt(handle, 10001, context);
    if (code == 0) code = easy_setopt(handle, 20079, header);
    if (code == 0) code = easy_setopt(handle, 10029, context);
    return code;
}

int weir_curl_perform(WeirCurl *handle) { return easy_perform(handle); }

long weir_curl_response_code(WeirCurl *handle) {
    long code = 0;
    easy_getinfo(handle, 0x200002, &code);  // CURLINFO_RESPONSE_CODE
    return code;
}

const char *weir_curl_strerror(int code) { return easy_strerror(code); }
WeirCurlList *weir_curl_list_append(WeirCurlList *list, const char *text) { return slist_append(list, text); }
void weir_curl_list_free(WeirCurlList *list) { slist_free_all(list); }

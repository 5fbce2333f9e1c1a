// Each libpq function Weir calls, resolved from libpq.so.5 on first use (written by hand from
// libpq-fe.h; add a function here before calling it).
#include "include/CLibPQ.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *library;
static char failure[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void open_library(void) {
    const char *path = getenv("WEIR_LIBPQ");
    if (path == NULL || path[0] == '\0') path = "libpq.so.5";
    library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (library == NULL) {
        const char *reason = dlerror();
        snprintf(failure, sizeof failure, "cannot load libpq, PostgreSQL's client library (%s): %s; install it (Debian: apt-get install libpq5)",
                 path, reason ? reason : "unknown error");
    }
}

int weir_libpq_load(char *error, size_t capacity) {
    pthread_once(&once, open_library);
    if (library != NULL) return 0;
    if (capacity > 0) snprintf(error, capacity, "%s", failure);
    return -1;
}

static void *resolve(void **slot, const char *name) {
    void *found = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (found != NULL) return found;
    pthread_once(&once, open_library);
    if (library == NULL) {
        fprintf(stderr, "weir: %s\n", failure);
        abort();
    }
    found = dlsym(library, name);
    if (found == NULL) {
        fprintf(stderr, "weir: libpq has no %s: it is older than Weir needs\n", name);
        abort();
    }
    __atomic_store_n(slot, found, __ATOMIC_RELEASE);
    return found;
}


PGconn *PQconnectdb(const char *conninfo) {
    static void *slot;
    return ((PGconn * (*)(const char *conninfo))resolve(&slot, "PQconnectdb"))(conninfo);
}

ConnStatusType PQstatus(const PGconn *conn) {
    static void *slot;
    return ((ConnStatusType (*)(const PGconn *conn))resolve(&slot, "PQstatus"))(conn);
}

char *PQerrorMessage(const PGconn *conn) {
    static void *slot;
    return ((char * (*)(const PGconn *conn))resolve(&slot, "PQerrorMessage"))(conn);
}

void PQfinish(PGconn *conn) {
    static void *slot;
    ((void (*)(PGconn *conn))resolve(&slot, "PQfinish"))(conn);
}

PGresult *PQexec(PGconn *conn, const char *query) {
    static void *slot;
    return ((PGresult * (*)(PGconn *conn, const char *query))resolve(&slot, "PQexec"))(conn, query);
}

PGresult *PQexecParams(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat) {
    static void *slot;
    return ((PGresult * (*)(PGconn *conn, const char *command, int nParams, const Oid *paramTypes, const char *const *paramValues, const int *paramLengths, const int *paramFormats, int resultFormat))resolve(&slot, "PQexecParams"))(conn, command, nParams, paramTypes, paramValues, paramLengths, paramFormats, resultFormat);
}

PGresult *PQprepare(PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes) {
    static void *slot;
    return ((PGresult * (*)(PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes))resolve(&slot, "PQprepare"))(conn, stmtName, query, nParams, paramTypes);
}

PGresult *PQdescribePrepared(PGconn *conn, const char *stmt) {
    static void *slot;
    return ((PGresult * (*)(PGconn *conn, const char *stmt))resolve(&slot, "PQdescribePrepared"))(conn, stmt);
}

ExecStatusType PQresultStatus(const PGresult *res) {
    static void *slot;
    return ((ExecStatusType (*)(const PGresult *res))resolve(&slot, "PQresultStatus"))(res);
}

char *PQresultErrorMessage(const PGresult *res) {
    static void *slot;
    return ((char * (*)(const PGresult *res))resolve(&slot, "PQresultErrorMessage"))(res);
}

char *PQresultErrorField(const PGresult *res, int fieldcode) {
    static void *slot;
    return ((char * (*)(const PGresult *res, int fieldcode))resolve(&slot, "PQresultErrorField"))(res, fieldcode);
}

void PQclear(PGresult *res) {
    static void *slot;
    ((void (*)(PGresult *res))resolve(&slot, "PQclear"))(res);
}

int PQntuples(const PGresult *res) {
    static void *slot;
    return ((int (*)(const PGresult *res))resolve(&slot, "PQntuples"))(res);
}

int PQnfields(const PGresult *res) {
    static void *slot;
    return ((int (*)(const PGresult *res))resolve(&slot, "PQnfields"))(res);
}

char *PQfname(const PGresult *res, int field_num) {
    static void *slot;
    return ((char * (*)(const PGresult *res, int field_num))resolve(&slot, "PQfname"))(res, field_num);
}

Oid PQftype(const PGresult *res, int field_num) {
    static void *slot;
    return ((Oid (*)(const PGresult *res, int field_num))resolve(&slot, "PQftype"))(res, field_num);
}

int PQfmod(const PGresult *res, int field_num) {
    static void *slot;
    return ((int (*)(const PGresult *res, int field_num))resolve(&slot, "PQfmod"))(res, field_num);
}

char *PQgetvalue(const PGresult *res, int tup_num, int field_num) {
    static void *slot;
    return ((char * (*)(const PGresult *res, int tup_num, int field_num))resolve(&slot, "PQgetvalue"))(res, tup_num, field_num);
}

int PQgetisnull(const PGresult *res, int tup_num, int field_num) {
    static void *slot;
    return ((int (*)(const PGresult *res, int tup_num, int field_num))resolve(&slot, "PQgetisnull"))(res, tup_num, field_num);
}

int PQgetlength(const PGresult *res, int tup_num, int field_num) {
    static void *slot;
    return ((int (*)(const PGresult *res, int tup_num, int field_num))resolve(&slot, "PQgetlength"))(res, tup_num, field_num);
}

int PQgetCopyData(PGconn *conn, char **buffer, int async) {
    static void *slot;
    return ((int (*)(PGconn *conn, char **buffer, int async))resolve(&slot, "PQgetCopyData"))(conn, buffer, async);
}

int PQputCopyData(PGconn *conn, const char *buffer, int nbytes) {
    static void *slot;
    return ((int (*)(PGconn *conn, const char *buffer, int nbytes))resolve(&slot, "PQputCopyData"))(conn, buffer, nbytes);
}

int PQputCopyEnd(PGconn *conn, const char *errormsg) {
    static void *slot;
    return ((int (*)(PGconn *conn, const char *errormsg))resolve(&slot, "PQputCopyEnd"))(conn, errormsg);
}

PGresult *PQgetResult(PGconn *conn) {
    static void *slot;
    return ((PGresult * (*)(PGconn *conn))resolve(&slot, "PQgetResult"))(conn);
}

void PQfreemem(void *ptr) {
    static void *slot;
    ((void (*)(void *ptr))resolve(&slot, "PQfreemem"))(ptr);
}

int PQsslInUse(PGconn *conn) {
    static void *slot;
    return ((int (*)(PGconn *conn))resolve(&slot, "PQsslInUse"))(conn);
}

char *PQescapeIdentifier(PGconn *conn, const char *str, size_t len) {
    static void *slot;
    return ((char * (*)(PGconn *conn, const char *str, size_t len))resolve(&slot, "PQescapeIdentifier"))(conn, str, len);
}

PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc, void *arg) {
    static void *slot;
    return ((PQnoticeProcessor (*)(PGconn *conn, PQnoticeProcessor proc, void *arg))resolve(&slot, "PQsetNoticeProcessor"))(conn, proc, arg);
}

PQconninfoOption *PQconninfoParse(const char *conninfo, char **errmsg) {
    static void *slot;
    return ((PQconninfoOption * (*)(const char *conninfo, char **errmsg))resolve(&slot, "PQconninfoParse"))(conninfo, errmsg);
}

void PQconninfoFree(PQconninfoOption *connOptions) {
    static void *slot;
    ((void (*)(PQconninfoOption *connOptions))resolve(&slot, "PQconninfoFree"))(connOptions);
}

int PQserverVersion(const PGconn *conn) {
    static void *slot;
    return ((int (*)(const PGconn *conn))resolve(&slot, "PQserverVersion"))(conn);
}

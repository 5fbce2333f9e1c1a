/* The C the platform offers that Swift cannot reach directly: zlib, and wrappers for Linux's
   sync_file_range, fallocate and statfs. */
#include <zlib.h>

/* Starts writeback of a file range without waiting for it (Linux's sync_file_range with
   SYNC_FILE_RANGE_WRITE); does nothing elsewhere. Declared here because glibc only declares
   it under _GNU_SOURCE, which Swift's Glibc module is not built with. */
#ifdef __linux__
extern int sync_file_range(int fd, long offset, long count, unsigned int flags);
static inline int weir_start_writeback(int fd, long offset, long count) {
    return sync_file_range(fd, offset, count, 2 /* SYNC_FILE_RANGE_WRITE */);
}
#else
static inline int weir_start_writeback(int fd, long offset, long count) { (void)fd; (void)offset; (void)count; return 0; }
#endif

/* Allocates disk blocks for the first `length` bytes of a file (Linux's fallocate, mode 0),
   so writing them through a shared mapping cannot fail for want of space: such a failure would
   be a SIGBUS, not an error. Returns -1 where the filesystem cannot, and elsewhere than Linux;
   unlike posix_fallocate it never falls back to writing zeros. */
#ifdef __linux__
extern int fallocate(int fd, int mode, long offset, long length);
static inline int weir_reserve(int fd, long length) { return fallocate(fd, 0, 0, length); }
#else
static inline int weir_reserve(int fd, long length) { (void)fd; (void)length; return -1; }
#endif

/* The filesystem type of a path (statfs's f_type), or 0 when it cannot be read: Swift's Glibc
   module does not export <sys/vfs.h>. */
#ifdef __linux__
#include <sys/vfs.h>
static inline unsigned long weir_filesystem_type(const char *path) {
    struct statfs info;
    return statfs(path, &info) == 0 ? (unsigned long)info.f_type : 0;
}
#else
static inline unsigned long weir_filesystem_type(const char *path) { (void)path; return 0; }
#endif

/* Asks the CPU to bring the cache line at `address` in ahead of use: hash-table probes of
   rows a few steps ahead overlap their cache misses instead of waiting on each in turn. */
static inline void weir_prefetch(const void *address) { __builtin_prefetch(address); }

/* Makes a spawned child start in `path` (glibc's posix_spawn_file_actions_addchdir_np, 2.29+),
   declared only under _GNU_SOURCE. */
#ifdef __linux__
#include <spawn.h>
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);
static inline int weir_spawn_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}
#endif

/* `value` as printf's "%.2f" writes it, into `buffer`; the length, or a negative number when it
   does not fit. A fixed signature spares Swift's CVarArg boxing (a runtime conformance lookup
   on first use, 0.5 ms of a cached run). */
#include <stdio.h>
static inline int weir_two_decimals(double value, char *buffer, unsigned long capacity) {
    return snprintf(buffer, capacity, "%.2f", value);
}

/* Copies up to `count` bytes from `in`'s position to `out`'s in the kernel (Linux's
   copy_file_range; glibc declares it only under _GNU_SOURCE). -1 with errno ENOSYS elsewhere. */
#ifdef __linux__
#include <sys/types.h>
extern ssize_t copy_file_range(int in, long long *in_offset, int out, long long *out_offset, size_t count,
                               unsigned int flags);
static inline long weir_copy_range(int in, int out, unsigned long count) {
    return (long)copy_file_range(in, 0, out, 0, count, 0);
}
#else
#include <errno.h>
static inline long weir_copy_range(int in, int out, unsigned long count) {
    (void)in; (void)out; (void)count; errno = ENOSYS; return -1;
}
#endif

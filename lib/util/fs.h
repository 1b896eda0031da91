/* File-system helpers: bounded reads, atomic writes (temp + fsync + rename),
 * recursive mkdir/remove. Paths are plain strings; *at variants take a dirfd. */
#ifndef PYOCI_UTIL_FS_H
#define PYOCI_UTIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"
#include "inroot.h" /* pyoci_open_in_root, used with these everywhere */

/* Read a whole file of at most max_size bytes; the buffer is NUL-terminated
 * (not counted in *len).  A larger file is an error naming the path. */
int pyoci_read_file(const char *path, size_t max_size, char **out, size_t *len, pyoci_error_t **err);
int pyoci_read_file_at(int dirfd, const char *path, size_t max_size, char **out, size_t *len,
                       pyoci_error_t **err);
/* These read regular files only: a FIFO, device or socket is refused with
 * "'PATH' is a FIFO, not a regular file" -- never a blocking open (a FIFO
 * with no writer hung pyoci while it held the store lock).  A stream the
 * user names on purpose (--secret src=/dev/stdin, a <(...) pipe) is read
 * with pyoci_read_stream, before any lock is taken. */
int pyoci_read_stream(const char *path, size_t max_size, char **out, size_t *len, pyoci_error_t **err);
/* open(O_RDONLY) of a regular file without ever blocking (O_NONBLOCK until
 * the type is known); flags may add O_NOFOLLOW.  Returns the fd or -1. */
int pyoci_open_regular_at(int dirfd, const char *path, int flags, pyoci_error_t **err);
/* fd (opened O_NONBLOCK) must be a regular file; O_NONBLOCK is cleared. */
int pyoci_fd_require_regular(int fd, const char *what, pyoci_error_t **err);
/* "FIFO", "character device", ... for messages. */
const char *pyoci_file_type_name(mode_t mode);
/* Read everything from fd (at most max_size bytes). */
int pyoci_read_fd(int fd, const char *what, size_t max_size, char **out, size_t *len, pyoci_error_t **err);

/* Write all of buf to fd, retrying on EINTR / short writes. */
int pyoci_write_all(int fd, const void *buf, size_t len, const char *what, pyoci_error_t **err);

/* Write path atomically (outfile.h): an O_TMPFILE beside it, fsync, linked
 * or swapped in, fsync dir.  A device, FIFO or symlink is written through,
 * never replaced. */
int pyoci_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, pyoci_error_t **err);
/* The same, without the fsyncs: whole or absent for readers, but a crash
 * may leave it empty (for files whose loss costs nothing). */
int pyoci_write_file_atomic_nosync(const char *path, const void *data, size_t len, mode_t mode,
                                   pyoci_error_t **err);

/* mkdir -p; existing directories are fine. */
int pyoci_mkdir_p(const char *path, mode_t mode, pyoci_error_t **err);
/* rm -rf; a missing path is fine.  Never follows symlinks. */
int pyoci_rm_rf(const char *path, pyoci_error_t **err);
int pyoci_rm_rf_at(int parent_fd, const char *name, pyoci_error_t **err);
/* fsync the directory that contains path (or path itself if a directory). */
int pyoci_fsync_dir(const char *dirpath, pyoci_error_t **err);

bool pyoci_path_exists(const char *path);
/* Make a fresh temporary directory under parent (or $TMPDIR) and return its path. */
int pyoci_mkdtemp(const char *parent, const char *prefix, char **out, pyoci_error_t **err);

/* Join two path pieces with exactly one '/'.  Caller frees. */
char *pyoci_path_join(const char *a, const char *b);

#endif

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
/* Read everything from fd (at most max_size bytes). */
int pyoci_read_fd(int fd, const char *what, size_t max_size, char **out, size_t *len, pyoci_error_t **err);

/* Write all of buf to fd, retrying on EINTR / short writes. */
int pyoci_write_all(int fd, const void *buf, size_t len, const char *what, pyoci_error_t **err);

/* Write path atomically (outfile.h): an O_TMPFILE beside it, fsync, linked
 * or swapped in, fsync dir.  A device, FIFO or symlink is written through,
 * never replaced. */
int pyoci_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode, pyoci_error_t **err);

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

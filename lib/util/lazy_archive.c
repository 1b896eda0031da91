/* libarchive's functions, forwarded to libarchive.so.13 opened on first use
 * (lazylib.h: why).  Only the functions pyoci calls are here; a new call
 * site that needs another one fails to link until it is added. */
#include <archive.h>
#include <archive_entry.h>
#include <stdarg.h>
#include <stdio.h>

#include "lazylib.h"

static pyoci_lazylib_t archive_lib = PYOCI_LAZYLIB_INIT("libarchive.so.13", "libarchive13");

#define A archive_lib
typedef struct archive ar_t;
typedef struct archive_entry ent_t;

PYOCI_LAZY_FN(A, ar_t *, archive_read_new, (void), ())
PYOCI_LAZY_FN(A, int, archive_read_free, (ar_t * a), (a))
PYOCI_LAZY_FN(A, const char *, archive_error_string, (ar_t * a), (a))
PYOCI_LAZY_FN(A, la_int64_t, archive_filter_bytes, (ar_t * a, int n), (a, n))
PYOCI_LAZY_FN(A, int, archive_filter_count, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_filter_bzip2, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_filter_gzip, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_filter_lzma, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_filter_xz, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_filter_zstd, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_format_ar, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_format_gnutar, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_format_raw, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_format_tar, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_format_zip, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_support_format_zip_seekable, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_set_callback_data, (ar_t * a, void *d), (a, d))
PYOCI_LAZY_FN(A, int, archive_read_set_read_callback, (ar_t * a, archive_read_callback *cb), (a, cb))
PYOCI_LAZY_FN(A, int, archive_read_set_skip_callback, (ar_t * a, archive_skip_callback *cb), (a, cb))
PYOCI_LAZY_FN(A, int, archive_read_open,
              (ar_t * a, void *d, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c),
              (a, d, o, r, c))
PYOCI_LAZY_FN(A, int, archive_read_open1, (ar_t * a), (a))
PYOCI_LAZY_FN(A, int, archive_read_open_fd, (ar_t * a, int fd, size_t block), (a, fd, block))
PYOCI_LAZY_FN(A, int, archive_read_open_filename, (ar_t * a, const char *name, size_t block), (a, name, block))
PYOCI_LAZY_FN(A, int, archive_read_next_header, (ar_t * a, ent_t **e), (a, e))
PYOCI_LAZY_FN(A, la_ssize_t, archive_read_data, (ar_t * a, void *buf, size_t len), (a, buf, len))
PYOCI_LAZY_FN(A, int, archive_read_data_block, (ar_t * a, const void **buf, size_t *len, la_int64_t *off),
              (a, buf, len, off))
PYOCI_LAZY_FN(A, __LA_MODE_T, archive_entry_filetype, (ent_t * e), (e))
PYOCI_LAZY_FN(A, __LA_MODE_T, archive_entry_perm, (ent_t * e), (e))
PYOCI_LAZY_FN(A, la_int64_t, archive_entry_uid, (ent_t * e), (e))
PYOCI_LAZY_FN(A, la_int64_t, archive_entry_gid, (ent_t * e), (e))
PYOCI_LAZY_FN(A, la_int64_t, archive_entry_size, (ent_t * e), (e))
PYOCI_LAZY_FN(A, int, archive_entry_size_is_set, (ent_t * e), (e))
PYOCI_LAZY_FN(A, time_t, archive_entry_mtime, (ent_t * e), (e))
PYOCI_LAZY_FN(A, const char *, archive_entry_pathname, (ent_t * e), (e))
PYOCI_LAZY_FN(A, const char *, archive_entry_hardlink, (ent_t * e), (e))
PYOCI_LAZY_FN(A, const char *, archive_entry_symlink, (ent_t * e), (e))
PYOCI_LAZY_FN(A, dev_t, archive_entry_rdevmajor, (ent_t * e), (e))
PYOCI_LAZY_FN(A, dev_t, archive_entry_rdevminor, (ent_t * e), (e))
PYOCI_LAZY_FN(A, int, archive_entry_sparse_reset, (ent_t * e), (e))
PYOCI_LAZY_FN(A, int, archive_entry_sparse_next, (ent_t * e, la_int64_t *off, la_int64_t *len), (e, off, len))
PYOCI_LAZY_FN(A, int, archive_entry_xattr_reset, (ent_t * e), (e))
PYOCI_LAZY_FN(A, int, archive_entry_xattr_next, (ent_t * e, const char **name, const void **value, size_t *len),
              (e, name, value, len))

/* Variadic and printf-like: formatted here, handed over as "%s". */
void archive_set_error(ar_t *a, int err, const char *fmt, ...)
{
  static void *real;
  void (*f)(ar_t *, int, const char *, ...) =
      (void (*)(ar_t *, int, const char *, ...))pyoci_lazylib_cached(&A, "archive_set_error", &real);
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  f(a, err, "%s", msg);
}

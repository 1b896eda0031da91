/* xz and bzip2 as a byte stream (see decompress.h).  They are rare in
 * images, and libarchive already decodes them for the tar reader, so they
 * are not decompress.c's codecs: libarchive's raw format with only these
 * two filters does it -- never filter_all, which would run external
 * programs (lrzip, lzop, grzip) on hostile input. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>

#include "lib/util/inflate_limit.h"
#include "decompress.h"

int pyoci_decompress_xz_bzip2_fd(int fd, const char *what, pyoci_sink_fn sink, void *ctx, pyoci_error_t **err)
{
  struct archive *a = archive_read_new();
  if (a == NULL)
    return pyoci_error_set(err, ENOMEM, "decompress blob %s", what);
  archive_read_support_filter_xz(a);
  archive_read_support_filter_bzip2(a);
  archive_read_support_format_raw(a);
  int rc = -1;
  struct archive_entry *e;
  if (archive_read_open_fd(a, fd, 256 * 1024) != ARCHIVE_OK || archive_read_next_header(a, &e) != ARCHIVE_OK) {
    pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "decompress blob %s: %s", what, archive_error_string(a));
    goto out;
  }
  static __thread char buf[256 * 1024];
  uint64_t out_bytes = 0;
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
    if (n < 0) {
      pyoci_error_set_code(err, PYOCI_E_CORRUPT, 0, "decompress blob %s: %s", what, archive_error_string(a));
      goto out;
    }
    if (n == 0)
      break;
    out_bytes += (uint64_t)n;
    la_int64_t in = archive_filter_bytes(a, -1);
    if (pyoci_inflate_check(what, in > 0 ? (uint64_t)in : 0, out_bytes, err) < 0)
      goto out;
    if (sink != NULL && sink(ctx, buf, (size_t)n, err) < 0)
      goto out;
  }
  rc = 0;
out:
  archive_read_free(a);
  return rc;
}

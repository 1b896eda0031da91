/* Encoding one tar entry's header: a POSIX ustar block, preceded by a PAX
 * extended header only for what ustar cannot hold (names or link targets over
 * 100 bytes, sizes >= 8 GiB, big ids, odd mtimes, xattrs).  Shared by the
 * layer writer and the image-archive writer, so both emit the same format. */
#ifndef PYOCI_LAYER_TAR_HEADER_H
#define PYOCI_LAYER_TAR_HEADER_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/util/error.h"
#include "lib/util/strbuf.h"

typedef struct {
  const char *name; /* full tar name */
  char type;        /* '0' file, '5' dir, '2' symlink, '1' hard link, ... */
  mode_t mode;
  uint64_t uid, gid, size;
  int64_t mtime;
  const char *link;
  unsigned major, minor;
  strbuf_t xattrs; /* PAX records for SCHILY.xattr.*, already formatted */
} pyoci_tar_header_t;

/* Append the header bytes (PAX header + data + padding when needed, then the
 * ustar block) to out. */
int pyoci_tar_header_encode(const pyoci_tar_header_t *h, strbuf_t *out, pyoci_error_t **err);

/* One PAX record "LEN key=value\n" (the length counts itself). */
void pyoci_tar_pax_record(strbuf_t *sb, const char *key, const void *val, size_t vlen);

#endif

/* Internals shared by the files of lib/layer (not part of the public API):
 * path cleaning and limits for hostile archives. */
#ifndef PYOCI_LAYER_INT_H
#define PYOCI_LAYER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/util/alloc.h" /* pyoci_strmap_t */
#include "lib/util/error.h"

/* Limits the reader enforces on every archive. */
#define PYOCI_TAR_MAX_ENTRIES 2000000
#define PYOCI_TAR_MAX_PATH 4096
#define PYOCI_TAR_MAX_XATTRS_BYTES (256u << 10) /* all xattrs of one entry (Linux: 64 KiB per value) */
/* PAX headers themselves: libarchive refuses any over 1 MiB ("Special header too large"). */
#define PYOCI_TAR_MAX_ENTRY_SIZE (1LL << 40)    /* 1 TiB per file */

/* The current entry's name exactly as the archive wrote it. */
struct pyoci_tar_reader;
const char *pyoci_tar_reader_raw_path(const struct pyoci_tar_reader *r);

/* Whiteouts (whiteout.c).  dirfd is the directory (any fd, O_PATH fine)
 * whose archive path is dirpath ("" = root); created holds the paths this
 * layer made, which whiteouts leave alone. */
bool pyoci_is_whiteout_meta(const char *path); /* ".wh..wh.*" other than opq */
int pyoci_whiteout_remove(int dirfd, const char *dirpath, const char *name, const pyoci_strmap_t *created,
                          bool as_overlay, pyoci_error_t **err);
int pyoci_whiteout_opaque(int dirfd, const char *dirpath, const pyoci_strmap_t *created, bool as_overlay,
                          pyoci_error_t **err);

/* A codec's operations, which its row in codec.c points to: the encoder
 * (compress.c) and the decoder (decompress.c).  Rows pyoci only hands to
 * libarchive (xz, bzip2) have neither. */
#include <sys/types.h>
struct pyoci_compressor;
struct pyoci_decomp;
struct pyoci_codec_enc {
  int (*init)(struct pyoci_compressor *c, int threads); /* 0 or -1 */
  int (*write)(struct pyoci_compressor *c, const void *buf, size_t len, pyoci_error_t **err);
  int (*finish)(struct pyoci_compressor *c, pyoci_error_t **err);
};
struct pyoci_codec_dec {
  /* The next piece of output in *buf; 0 at the end, -1 on error. */
  ssize_t (*next)(struct pyoci_decomp *d, const void **buf, pyoci_error_t **err);
};
/* Copy what of *p (*n bytes) fits in buf (*len used of cap) and move *p
 * and *n past it: the step of every writer that fills a fixed buffer and
 * hands it on when full (tar_out.c's output, compress.c's gzip chunks). */
static inline void pyoci_buf_fill(unsigned char *buf, size_t *len, size_t cap, const unsigned char **p, size_t *n)
{
  size_t k = cap - *len;
  if (k > *n)
    k = *n;
  memcpy(buf + *len, *p, k);
  *len += k;
  *p += k;
  *n -= k;
}

extern const struct pyoci_codec_enc pyoci_enc_plain, pyoci_enc_gzip, pyoci_enc_zstd;
extern const struct pyoci_codec_dec pyoci_dec_plain, pyoci_dec_gzip, pyoci_dec_zstd;

#endif

/* Streaming decompression of layer blobs (gzip, zstd, or stored plain).
 *
 * pyoci writes gzip layers as many small members (1 MiB of input each, see
 * compress.c), so a member usually fits in memory whole and libdeflate can
 * inflate it in one call, 2-3x faster than zlib.  Members that do not fit the
 * fast path's bounds (single-member gzip from other tools can be hundreds of
 * MB) are streamed through zlib instead; the output is the same either way.
 *
 * The reader is pull-style (pyoci_decomp_next hands out its own buffer, so
 * libarchive can be fed without a copy); pyoci_decompress_fd pushes the same
 * bytes into a sink.  Memory is bounded (a few tens of MiB at most per
 * reader) whatever the input; truncated, corrupt, or trailing data after the
 * last gzip member are errors naming `what`. */
#ifndef PYOCI_LAYER_DECOMPRESS_H
#define PYOCI_LAYER_DECOMPRESS_H

#include <stddef.h>
#include <sys/types.h>

#include "lib/util/error.h"
#include "layer.h"

/* comp for the functions below: a pyoci_comp_t, or this to look at the
 * first bytes (gzip and zstd magic are decompressed; anything else, e.g. a
 * plain tar or xz, is passed through unchanged). */
#define PYOCI_DECOMP_AUTO (-1)

typedef struct pyoci_decomp pyoci_decomp_t;

/* Start reading fd (not owned, read from its current offset).  NULL + err
 * only when out of memory or when reading the first bytes fails. */
pyoci_decomp_t *pyoci_decomp_open(int fd, int comp, const char *what, pyoci_error_t **err);
/* The compression in use (after AUTO: what the magic said). */
pyoci_comp_t pyoci_decomp_kind(const pyoci_decomp_t *d);
/* Next piece of output: >0 bytes at *buf (valid until the next call),
 * 0 at the end, -1 on error (and every later call fails the same way). */
ssize_t pyoci_decomp_next(pyoci_decomp_t *d, const void **buf, pyoci_error_t **err);
/* Copying variant of pyoci_decomp_next: up to len bytes into buf. */
ssize_t pyoci_decomp_read(pyoci_decomp_t *d, void *buf, size_t len, pyoci_error_t **err);
/* Skip forward n bytes of output when that is cheap (plain, seekable input):
 * returns the bytes skipped, 0 when the caller has to read instead. */
int64_t pyoci_decomp_skip(pyoci_decomp_t *d, int64_t n);
void pyoci_decomp_free(pyoci_decomp_t *d);
static inline void pyoci_decomp_freep(pyoci_decomp_t **d)
{
  pyoci_decomp_free(*d);
}
#define cleanup_decomp __attribute__((cleanup(pyoci_decomp_freep)))

/* Decompress all of fd into sink. */
int pyoci_decompress_fd(int fd, int comp, const char *what, pyoci_sink_fn sink, void *ctx, pyoci_error_t **err);
/* The same for xz and bzip2, which the functions above pass through
 * (libarchive decodes them, decompress_xz.c); under the same bomb limits. */
int pyoci_decompress_xz_bzip2_fd(int fd, const char *what, pyoci_sink_fn sink, void *ctx, pyoci_error_t **err);

#endif

/* Limits on decompression, against decompression bombs: a small input that
 * expands to gigabytes of output (1 GiB of zeros is 1 MiB of gzip, and
 * kilobytes of zstd, xz or bzip2) costs time, memory for whatever holds
 * the output, and disk when it is unpacked.
 *
 * One policy for every stream pyoci decompresses from outside data: layers
 * (load, import, pull, unpack, scan), OSV zips (db import), wheels and .debs
 * (assemble).  Two numbers, both per stream (one layer, one archive, one
 * wheel, one .deb, one zip):
 *   - the ratio: output may not exceed a grace of 256 MiB + ratio x the
 *     compressed bytes read so far (real layers, wheels, packages and OSV
 *     zips expand 2-10 times; a bomb 1,000 times or more);
 *   - the size: output may not exceed max_size in total.
 * 0 disables either.  The grace keeps small, highly compressible files
 * (a few MB of zeros in a layer) out of the ratio's way.
 *
 * A sparse tar entry's holes count as output too (lib/layer/tar_read.c):
 * they cost no stream bytes, yet the unpacked file weighs what it
 * declares, and a reader of it gets that many zeros.
 *
 * The process sets the limits once, before any work (the CLI from
 * --max-compression-ratio / --max-decompressed-size): they are a policy of
 * the whole run, like the log handler, not an option of one call -- the
 * decompressors sit many calls below the verbs, some on worker threads.
 * The library never reads the environment for them. */
#ifndef PYOCI_UTIL_INFLATE_LIMIT_H
#define PYOCI_UTIL_INFLATE_LIMIT_H

#include <stdint.h>

#include "error.h"

#define PYOCI_INFLATE_RATIO_DEFAULT 100u
#define PYOCI_INFLATE_SIZE_DEFAULT (64ull << 30) /* 64 GiB */
#define PYOCI_INFLATE_GRACE (256ull << 20)      /* output before the ratio applies */

typedef struct {
  uint64_t max_ratio; /* 0 = no ratio limit */
  uint64_t max_size;  /* bytes; 0 = no size limit */
  uint64_t grace;     /* output before the ratio applies (PYOCI_INFLATE_GRACE;
                         tests lower it to make small bombs) */
} pyoci_inflate_limits_t;

/* Replace the process's limits (call before starting work). */
void pyoci_inflate_limits_set(const pyoci_inflate_limits_t *l);
/* The limits in force (the defaults until set). */
pyoci_inflate_limits_t pyoci_inflate_limits(void);

/* 0 while `out` bytes of output from `in` bytes of compressed input are
 * within the limits; else -1 with a PYOCI_E_CORRUPT error naming `what`,
 * the sizes and the limit that was hit.  Call as output grows: it is a
 * few comparisons. */
int pyoci_inflate_check(const char *what, uint64_t in, uint64_t out, pyoci_error_t **err);
/* The same, with the message's subject given whole ("with its holes
 * counted, the archive"): for a caller whose own prefix names the stream. */
int pyoci_inflate_check_as(const char *subject, uint64_t in, uint64_t out, pyoci_error_t **err);
/* n as its messages write it ("1.0 TiB", "512 bytes"), for callers that
 * add their own context to a refusal (the tar reader's sparse files). */
void pyoci_inflate_human(uint64_t n, char *buf, size_t len);

#endif
